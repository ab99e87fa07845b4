package dev.daemonkit.cli;

import dev.daemonkit.process.Spawn;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.supervise.OptionValues;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The command-line vocabulary shared by every command: {@code --name value} or
 * {@code --name=value}, boolean flags, and everything after {@code --} as the command to run.
 * Unknown options are errors (exit 2), never ignored.
 */
public final class Args {
    private final String commandName;
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, List<String>> repeated = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();
    private final List<String> command;
    private final boolean sawSeparator;
    private final boolean help;

    private Args(String commandName, List<String> command, boolean sawSeparator, boolean help) {
        this.commandName = commandName;
        this.command = command;
        this.sawSeparator = sawSeparator;
        this.help = help;
    }

    /**
     * Parses {@code argv}.
     *
     * @param valued     options that take a value (without the leading dashes)
     * @param flags      options that take none
     * @param positionals how many arguments before {@code --} are allowed without a name
     */
    public static Args parse(String commandName, List<String> argv, Set<String> valued, Set<String> flags,
            int positionals) throws UsageException {
        int sep = argv.indexOf("--");
        List<String> before = sep < 0 ? argv : argv.subList(0, sep);
        List<String> after = sep < 0 ? List.of() : List.copyOf(argv.subList(sep + 1, argv.size()));
        boolean help = before.contains("--help") || before.contains("-h");
        Args a = new Args(commandName, after, sep >= 0, help);
        if (help) {
            return a;
        }
        for (int i = 0; i < before.size(); i++) {
            String arg = before.get(i);
            if (arg.startsWith("--")) {
                String name = arg.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (valued.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= before.size()) {
                            throw new UsageException("option --" + name + " needs a value");
                        }
                        value = before.get(++i);
                    }
                    a.values.put(name, value);
                    a.repeated.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
                } else if (flags.contains(name)) {
                    if (value != null) {
                        throw new UsageException("option --" + name + " takes no value");
                    }
                    a.values.put(name, "true");
                } else {
                    java.util.Set<String> known = new java.util.TreeSet<>(valued);
                    known.addAll(flags);
                    throw new UsageException("unknown option: --" + name + DidYouMean.hint(name, known, "--"));
                }
            } else if (arg.startsWith("-") && arg.length() > 1) {
                java.util.Set<String> known = new java.util.TreeSet<>(valued);
                known.addAll(flags);
                throw new UsageException("unknown option: " + arg + DidYouMean.hint(arg.replaceFirst("^-+", ""), known, "--"));
            } else {
                if (a.positional.size() >= positionals) {
                    throw new UsageException(sep < 0 && positionals == 0
                            ? "unexpected argument '" + arg + "' (put the command to run after --)"
                            : "unexpected argument: " + arg);
                }
                a.positional.add(arg);
            }
        }
        return a;
    }

    /** Whether --help or -h was given. */
    public boolean help() {
        return help;
    }

    public String commandName() {
        return commandName;
    }

    public Optional<String> get(String name) {
        return Optional.ofNullable(values.get(name));
    }

    public List<String> all(String name) {
        return repeated.getOrDefault(name, List.of());
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    public String require(String name) throws UsageException {
        String v = values.get(name);
        if (v == null || v.isEmpty()) {
            throw new UsageException("--" + name + " is required");
        }
        return v;
    }

    public List<String> positional() {
        return positional;
    }

    /** The command after {@code --}; fails with a clear message when it is missing. */
    public List<String> requireCommand() throws UsageException {
        if (!sawSeparator) {
            // Printed after "daemonkit NAME: ": the name is not said twice.
            throw new UsageException("the command to run goes after --, e.g. "
                    + "daemonkit " + commandName + " ... -- /usr/bin/myserver --port 8080");
        }
        if (command.isEmpty()) {
            throw new UsageException("missing command after --");
        }
        // ./run.sh means the file in the directory the user typed it in, like --pidfile and --log.
        return Spawn.anchorProgram(command);
    }

    public List<String> command() {
        return command;
    }

    public boolean hasCommand() {
        return sawSeparator;
    }

    public Duration duration(String name, Duration dflt) throws UsageException {
        String v = values.get(name);
        return v == null ? dflt : parseDuration("--" + name, v);
    }

    public Signal signal(String name, Signal dflt) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Signal.parse(v);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + name + ": " + e.getMessage());
        }
    }

    public int integer(String name, int dflt, int min, int max) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                throw new UsageException("--" + name + " must be between " + min + " and " + max + ": " + v);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " needs a whole number: " + v);
        }
    }

    /** An octal mode such as 022 or 0 (umask). */
    public Integer octal(String name, Integer dflt) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim(), 8);
            if (n < 0 || n > 0777) {
                throw new UsageException("--" + name + " must be an octal mode between 000 and 777: " + v);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " needs an octal mode like 022: " + v);
        }
    }

    /**
     * Parses a duration the way every daemonkit option and config file does
     * ({@link OptionValues#duration}: 500ms, 10s, 2m, 1h; a bare number is seconds; negative refused).
     */
    public static Duration parseDuration(String what, String text) throws UsageException {
        try {
            return OptionValues.duration(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(what + ": " + e.getMessage());
        }
    }
}
