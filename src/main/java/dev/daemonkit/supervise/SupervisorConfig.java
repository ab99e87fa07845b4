package dev.daemonkit.supervise;

import dev.daemonkit.posix.Signal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads programs from a supervisord-style INI file: one {@code [program:NAME]} section per
 * program, {@code key = value} lines, {@code ;} or {@code #} comments. Keys (supervisord's names
 * where it has one): command, restart (or autorestart: always / on-failure / unexpected / never /
 * true / false), exitcodes, startsecs, startretries, backoff_max, stopsignal, stopwaitsecs,
 * numprocs, stdout_logfile, stderr_logfile, redirect_stderr, logfile_maxbytes (10MB, 512KB, 0),
 * logfile_backups, environment (A="1",B=2), directory, stopasgroup (or killasgroup),
 * signal_map (TERM:QUIT,HUP:USR1), pidfile, pdeathsig (signal sent if the supervisor dies). Durations are seconds or 500ms / 10s / 2m.
 * Relative paths — a command's program when it contains a slash, logs, directory, pidfile — are
 * relative to the config file's directory. Unknown keys and sections are errors, reported with
 * file and line.
 */
public final class SupervisorConfig {
    private static final Set<String> KEYS = Set.of("command", "restart", "autorestart", "exitcodes", "startsecs",
            "startretries", "backoff_max", "stopsignal", "stopwaitsecs", "numprocs", "stdout_logfile", "stderr_logfile",
            "redirect_stderr", "logfile_maxbytes", "logfile_backups", "environment", "directory", "stopasgroup",
            "killasgroup", "signal_map", "pidfile", "pdeathsig");

    private SupervisorConfig() {
    }

    /**
     * Parses the file.
     *
     * @throws IllegalArgumentException "FILE:LINE: what is wrong"
     */
    public static List<ProgramSpec> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        Map<String, Map<String, String>> sections = new LinkedHashMap<>();
        Map<String, Integer> sectionLine = new LinkedHashMap<>();
        Map<String, String> current = null;
        String currentName = null;
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
                currentName = line.substring("[program:".length(), line.length() - 1).trim();
                if (sections.containsKey(currentName)) {
                    throw new IllegalArgumentException(where + "program " + currentName + " is defined twice");
                }
                current = new LinkedHashMap<>();
                sections.put(currentName, current);
                sectionLine.put(currentName, i + 1);
                continue;
            }
            int eq = line.indexOf('=');
            if (current == null || eq <= 0) {
                throw new IllegalArgumentException(where + (current == null ? "key outside a [program:NAME] section"
                        : "expected key = value"));
            }
            String key = line.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(where + "unknown key '" + key + "' (known: " + String.join(", ",
                        KEYS.stream().sorted().toList()) + ")");
            }
            current.put(key, line.substring(eq + 1).trim());
        }
        List<ProgramSpec> specs = new ArrayList<>();
        for (var e : sections.entrySet()) {
            try {
                specs.add(spec(e.getKey(), e.getValue(), file.toAbsolutePath().getParent()));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(file + ":" + sectionLine.get(e.getKey()) + ": [program:" + e.getKey()
                        + "]: " + ex.getMessage());
            }
        }
        if (specs.isEmpty()) {
            throw new IllegalArgumentException(file + ": no [program:NAME] section");
        }
        return specs;
    }

    private static String stripComment(String line) {
        String t = line.trim();
        if (t.startsWith(";") || t.startsWith("#")) {
            return "";
        }
        int semi = line.indexOf(" ;");
        return semi >= 0 ? line.substring(0, semi) : line;
    }

    private static ProgramSpec spec(String name, Map<String, String> kv, Path base) {
        String command = kv.get("command");
        if (command == null || command.isBlank()) {
            throw new IllegalArgumentException("command is missing");
        }
        List<String> argv = new ArrayList<>(splitCommand(command));
        if (argv.get(0).contains("/") && !argv.get(0).startsWith("/")) {
            // ./bin/app means next to the config file, wherever the supervisor was started from
            // (and it may daemonize into /).
            argv.set(0, base.resolve(argv.get(0)).normalize().toString());
        }
        ProgramSpec.Builder b = ProgramSpec.builder(name, argv);
        String restart = kv.getOrDefault("restart", kv.get("autorestart"));
        if (restart != null) {
            b.restart(RestartPolicy.parse(restart));
        }
        if (kv.containsKey("exitcodes")) {
            Set<Integer> codes = new HashSet<>();
            for (String c : kv.get("exitcodes").split(",")) {
                codes.add(Integer.parseInt(c.trim()));
            }
            b.exitCodes(codes);
        }
        opt(kv, "startsecs", v -> b.startSeconds(duration(v)));
        opt(kv, "startretries", v -> b.startRetries(Integer.parseInt(v)));
        opt(kv, "backoff_max", v -> b.backoffMax(duration(v)));
        opt(kv, "stopsignal", v -> b.stopSignal(Signal.parse(v)));
        opt(kv, "stopwaitsecs", v -> b.stopTimeout(duration(v)));
        opt(kv, "numprocs", v -> b.numprocs(Integer.parseInt(v)));
        opt(kv, "stdout_logfile", v -> b.stdoutLog(base.resolve(v)));
        opt(kv, "stderr_logfile", v -> b.stderrLog(base.resolve(v)));
        if (Boolean.parseBoolean(kv.getOrDefault("redirect_stderr", "false")) && kv.containsKey("stdout_logfile")) {
            b.stderrLog(base.resolve(kv.get("stdout_logfile")));
        }
        opt(kv, "logfile_maxbytes", v -> b.logMaxBytes(bytes(v)));
        opt(kv, "logfile_backups", v -> b.logBackups(Integer.parseInt(v)));
        opt(kv, "environment", v -> environment(v).forEach(b::env));
        opt(kv, "directory", v -> b.directory(base.resolve(v)));
        String group = kv.getOrDefault("stopasgroup", kv.get("killasgroup"));
        if (group != null) {
            b.signalGroup(Boolean.parseBoolean(group));
        }
        opt(kv, "signal_map", v -> {
            for (String pair : v.split(",")) {
                String[] ft = pair.split(":");
                if (ft.length != 2) {
                    throw new IllegalArgumentException("signal_map needs FROM:TO pairs: " + v);
                }
                b.mapSignal(Signal.parse(ft[0].trim()), Signal.parse(ft[1].trim()));
            }
        });
        opt(kv, "pidfile", v -> b.pidfile(base.resolve(v)));
        opt(kv, "pdeathsig", v -> b.parentDeathSignal(Signal.parse(v)));
        return b.build();
    }

    private static void opt(Map<String, String> kv, String key, java.util.function.Consumer<String> use) {
        String v = kv.get(key);
        if (v != null) {
            try {
                use.accept(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + ": not a number: " + v);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + ": " + e.getMessage());
            }
        }
    }

    /** Seconds (possibly fractional) or 500ms / 10s / 2m. */
    public static Duration duration(String v) {
        String t = v.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        if (t.endsWith("m")) {
            return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 60_000));
        }
        if (t.endsWith("s")) {
            t = t.substring(0, t.length() - 1);
        }
        return Duration.ofMillis(Math.round(Double.parseDouble(t) * 1000));
    }

    private static long bytes(String v) {
        String t = v.trim().toUpperCase(Locale.ROOT);
        long mult = 1;
        if (t.endsWith("KB")) {
            mult = 1024;
        } else if (t.endsWith("MB")) {
            mult = 1024 * 1024;
        } else if (t.endsWith("GB")) {
            mult = 1024L * 1024 * 1024;
        }
        return Long.parseLong(mult == 1 ? t : t.substring(0, t.length() - 2).trim()) * mult;
    }

    private static Map<String, String> environment(String v) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String item : splitOutsideQuotes(v)) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("environment needs KEY=value pairs: " + item);
            }
            String val = item.substring(eq + 1).trim();
            if (val.length() >= 2 && val.startsWith("\"") && val.endsWith("\"")) {
                val = val.substring(1, val.length() - 1);
            }
            env.put(item.substring(0, eq).trim(), val);
        }
        return env;
    }

    private static List<String> splitOutsideQuotes(String v) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char c : v.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                out.add(cur.toString().trim());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (!cur.toString().isBlank()) {
            out.add(cur.toString().trim());
        }
        return out;
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
