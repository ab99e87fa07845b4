package dev.daemonkit.supervise;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads programs from a supervisord-style INI file: one {@code [program:NAME]} section per
 * program, {@code key = value} lines, {@code ;} or {@code #} comments. The keys are
 * {@code command} and the options of {@link ProgramOptions} — each option's flag with {@code _}
 * for {@code -} ({@code stop_timeout = 1h}), or supervisord's name for it ({@code stopwaitsecs});
 * values have the same syntax as on the command line ({@link OptionValues}). Relative paths — a
 * command's program when it contains a slash, logs, directory, pidfile — are relative to the
 * config file's directory. Unknown keys and sections, bad values and an option given twice are
 * errors naming the file and line.
 */
public final class SupervisorConfig {
    private SupervisorConfig() {
    }

    /** One {@code key = value} line. */
    private record Entry(String key, String value, int line) {
    }

    /** One {@code [program:NAME]} section. */
    private record Section(String name, int line, List<Entry> entries) {
    }

    /**
     * Parses the file.
     *
     * @throws IllegalArgumentException "FILE:LINE: what is wrong"
     */
    public static List<ProgramSpec> read(Path file) throws IOException {
        List<Section> sections = sections(file, Files.readAllLines(file));
        if (sections.isEmpty()) {
            throw new IllegalArgumentException(file + ": no [program:NAME] section");
        }
        Path base = file.toAbsolutePath().getParent();
        List<ProgramSpec> specs = new ArrayList<>();
        for (Section s : sections) {
            specs.add(spec(file, s, base));
        }
        return specs;
    }

    private static List<Section> sections(Path file, List<String> lines) {
        List<Section> sections = new ArrayList<>();
        Section current = null;
        for (int i = 0; i < lines.size(); i++) {
            String where = file + ":" + (i + 1) + ": ";
            String line = stripComment(lines.get(i)).trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("[")) {
                if (!line.endsWith("]") || !line.startsWith("[program:") || line.length() <= "[program:]".length()) {
                    throw new IllegalArgumentException(where + "expected a [program:NAME] section, got " + line);
                }
                String name = line.substring("[program:".length(), line.length() - 1).trim();
                if (sections.stream().anyMatch(s -> s.name().equals(name))) {
                    throw new IllegalArgumentException(where + "program " + name + " is defined twice");
                }
                current = new Section(name, i + 1, new ArrayList<>());
                sections.add(current);
                continue;
            }
            int eq = line.indexOf('=');
            if (current == null || eq <= 0) {
                throw new IllegalArgumentException(where + (current == null ? "key outside a [program:NAME] section"
                        : "expected key = value"));
            }
            String key = line.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            if (!key.equals("command") && ProgramOptions.byKey(key).isEmpty()) {
                throw new IllegalArgumentException(where + "unknown key '" + key + "' (known: " + knownKeys() + ")");
            }
            current.entries().add(new Entry(key, line.substring(eq + 1).trim(), i + 1));
        }
        return sections;
    }

    private static String knownKeys() {
        TreeSet<String> keys = new TreeSet<>(List.of("command"));
        ProgramOptions.all().forEach(o -> keys.addAll(o.iniKeys()));
        return String.join(", ", keys);
    }

    private static String stripComment(String line) {
        String t = line.trim();
        if (t.startsWith(";") || t.startsWith("#")) {
            return "";
        }
        int semi = line.indexOf(" ;");
        return semi >= 0 ? line.substring(0, semi) : line;
    }

    private static ProgramSpec spec(Path file, Section s, Path base) {
        String prefix = file + ":" + s.line() + ": [program:" + s.name() + "]: ";
        List<Entry> commands = s.entries().stream().filter(e -> e.key().equals("command")).toList();
        if (commands.size() > 1) {
            throw new IllegalArgumentException(file + ":" + commands.get(1).line() + ": command is already set on line "
                    + commands.get(0).line());
        }
        if (commands.isEmpty() || commands.get(0).value().isBlank()) {
            throw new IllegalArgumentException(prefix + "command is missing");
        }
        ProgramSpec.Builder b;
        try {
            List<String> argv = new ArrayList<>(splitCommand(commands.get(0).value()));
            if (argv.get(0).contains("/") && !argv.get(0).startsWith("/")) {
                // ./bin/app means next to the config file, wherever the supervisor was started from
                // (and it may daemonize into /).
                argv.set(0, base.resolve(argv.get(0)).normalize().toString());
            }
            b = ProgramSpec.builder(s.name(), argv);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ":" + commands.get(0).line() + ": command: " + e.getMessage());
        }
        Map<ProgramOption, Entry> seen = new HashMap<>();
        for (Entry e : s.entries()) {
            if (e.key().equals("command")) {
                continue;
            }
            ProgramOption o = ProgramOptions.byKey(e.key()).orElseThrow();
            Entry earlier = seen.putIfAbsent(o, e);
            String where = file + ":" + e.line() + ": " + e.key() + ": ";
            if (earlier != null && !o.repeatable()) {
                throw new IllegalArgumentException(where + "already set on line " + earlier.line()
                        + (earlier.key().equals(e.key()) ? "" : " as " + earlier.key()));
            }
            try {
                o.apply(b, e.value(), base);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(where + ex.getMessage());
            }
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(prefix + e.getMessage());
        }
    }

    /** Splits a command line like a shell would for words: whitespace, 'single' and "double" quotes, backslash. */
    public static List<String> splitCommand(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < s.length()) {
                    cur.append(s.charAt(++i));
                } else {
                    cur.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < s.length()) {
                cur.append(s.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                cur.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unclosed quote in command: " + s);
        }
        if (inWord) {
            words.add(cur.toString());
        }
        return words;
    }
}
