package dev.daemonkit.cli;

import java.io.PrintStream;
import dev.daemonkit.posix.ByteStrings;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The {@code daemonkit} command line. Exit codes, for every command: 0 success, 1 the operation
 * failed, 2 bad usage (nothing was started or changed); {@code status} uses the LSB codes.
 */
public final class Main {
    private Main() {
    }

    /**
     * The project's version, written into version.txt by the build (the pom is its one source).
     * Read on first use: finding a resource in the jar costs an interpreted command ~3 ms.
     */
    static String version() {
        return Version.TEXT;
    }

    private static final class Version {
        static final String TEXT = readVersion();
    }

    private static String readVersion() {
        try (var in = Main.class.getResourceAsStream("version.txt")) {
            return in == null ? "unknown" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /** Commands whose messages are a service's log: timestamped lines (slf4j-simple). */
    private static final java.util.Set<String> SERVICES = java.util.Set.of("serve", "supervise", "prefork", "init");
    /**
     * Commands (and help, version, usage errors) that register no shutdown hook and leave no
     * thread behind: they end with {@code halt} after flushing their output.
     */
    private static final java.util.Set<String> QUICK = java.util.Set.of(
            "status", "stop", "reload", "reopen-logs", "ctl", "ps", "version", "--version", "--help", "-h", "help");
    /** Commands that start a daemon and return: they end as the quick ones do. */
    private static final java.util.Set<String> LAUNCHERS = java.util.Set.of("start", "restart");
    /** Commands that keep running: logging is set up before they start, not on first use. */
    private static final java.util.Set<String> STAYING = java.util.Set.of("serve", "supervise", "prefork", "run", "init");

    /**
     * Every command, in the order {@code --help} lists them, made when asked for: a command's
     * classes (option tables, streams, regexes) are loaded and run only if it is the one that runs
     * (interpreted, as ./daemonkit runs the short commands, that is milliseconds).
     */
    private static final Map<String, Supplier<Command>> COMMANDS = commandTable();

    private static Map<String, Supplier<Command>> commandTable() {
        Map<String, Supplier<Command>> m = new LinkedHashMap<>();
        m.put("start", StartCommand::new);
        m.put("stop", StopCommand::new);
        m.put("restart", RestartCommand::new);
        m.put("status", StatusCommand::new);
        m.put("reload", SignalDaemonCommand::reload);
        m.put("reopen-logs", SignalDaemonCommand::reopenLogs);
        m.put("run", RunCommand::new);
        m.put("serve", ServeCommand::new);
        m.put("supervise", SuperviseCommand::new);
        m.put("prefork", PreforkCommand::new);
        m.put("init", InitCommand::new);
        m.put("ctl", CtlCommand::new);
        m.put("ps", PsCommand::new);
        m.put("pids", PidsCommand::new);
        m.put("demo", DemoCommand::new);
        m.put("version", VersionCommand::new);
        return m;
    }

    /** Every command, made, in the order {@code --help} lists them. */
    static Map<String, Command> commands() {
        Map<String, Command> m = new LinkedHashMap<>();
        COMMANDS.forEach((name, make) -> m.put(name, command(name)));
        return m;
    }

    /** The command of this name, or null. */
    private static Command command(String name) {
        Supplier<Command> make = COMMANDS.get(name);
        if (make == null) {
            return null;
        }
        Command c = make.get();
        assert c.name().equals(name) : c.name() + " listed as " + name;
        return c;
    }

    public static void main(String[] argv) {
        configureLogging();
        List<String> args = ByteStrings.exactArguments(argv); // arguments byte-exact
        int code = run(args, System.out, System.err);
        if (args.isEmpty() || QUICK.contains(args.get(0)) || LAUNCHERS.contains(args.get(0))
                || !COMMANDS.containsKey(args.get(0))) {
            // Nothing of theirs needs a shutdown hook (a started daemon holds its own pidfile), and
            // System.exit would first look for a System.Logger (JDK 21+ logs Runtime.exit) by
            // scanning every jar on the class path for a service file: ~4 ms of a 40 ms command.
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(code);
        }
        System.exit(code);
    }

    /**
     * Logging through {@link LazyLogging}: slf4j-simple is set up (with {@link #loggingDefaults})
     * when something first logs, not when a class with a logger is loaded. -D settings win.
     */
    static void configureLogging() {
        Module self = Main.class.getModule();
        if (self.isNamed()) {
            // On the module path slf4j instantiates the provider reflectively: let it.
            self.addExports(LazyLogging.class.getPackageName(), org.slf4j.LoggerFactory.class.getModule());
        }
        setIfAbsent("slf4j.provider", LazyLogging.class.getName());
        // slf4j reports the explicit provider choice at INFO on stderr; keep its warnings.
        setIfAbsent("slf4j.internal.verbosity", "WARN");
    }

    /** Sensible slf4j-simple defaults for a command-line tool; -D settings win. */
    static void loggingDefaults() {
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "true");
        String level = System.getenv("DAEMONKIT_LOG_LEVEL");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", level != null ? level : "info");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** Runs one command line; returns the exit status. */
    public static int run(List<String> argv, PrintStream out, PrintStream err) {
        if (argv.isEmpty() || argv.get(0).equals("--help") || argv.get(0).equals("-h") || argv.get(0).equals("help")) {
            if (argv.size() > 1 && COMMANDS.containsKey(argv.get(1))) {
                out.println(command(argv.get(1)).usage());
                return Command.OK;
            }
            printHelp(argv.isEmpty() ? err : out, commands());
            return argv.isEmpty() ? Command.USAGE : Command.OK;
        }
        if (argv.get(0).equals("--version")) {
            out.println("daemonkit " + version());
            return Command.OK;
        }
        Command c = command(argv.get(0));
        if (c == null) {
            err.println("daemonkit: unknown command '" + argv.get(0) + "'"
                    + DidYouMean.hint(argv.get(0), COMMANDS.keySet(), "") + "; see daemonkit --help");
            return Command.USAGE;
        }
        List<String> rest = argv.subList(1, argv.size());
        int sep = rest.indexOf("--");
        List<String> opts = sep < 0 ? rest : rest.subList(0, sep);
        if (opts.contains("--help") || opts.contains("-h")) {
            out.println(c.usage());
            return Command.OK;
        }
        if (!SERVICES.contains(c.name())) {
            LazyLogging.brief("daemonkit " + c.name()); // one-shot: diagnostics look like the rest
        }
        if (STAYING.contains(c.name())) {
            // They log anyway, and serve --user drops privileges: a binding set up after that
            // may no longer be able to read its own jar.
            LazyLogging.setUpNow();
        }
        try {
            return c.run(rest, out, err);
        } catch (UsageException e) {
            err.println("daemonkit " + c.name() + ": " + e.getMessage());
            if (e.pointsToHelp()) {
                err.println("usage: see daemonkit " + c.name() + " --help");
            }
            return Command.USAGE;
        } catch (dev.daemonkit.daemon.PidfileException e) {
            err.println("daemonkit " + c.name() + ": " + e.getMessage());
            return e.badInput() ? Command.USAGE : Command.FAILED;
        } catch (Exception e) {
            err.println("daemonkit " + c.name() + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return Command.FAILED;
        }
    }

    private static void printHelp(PrintStream out, Map<String, Command> commands) {
        out.println("daemonkit " + version() + " - Unix daemons, spawning, reaping and supervision for the JVM");
        out.println();
        out.println("usage: daemonkit COMMAND [OPTIONS] [-- CMD [ARGS...]]");
        out.println();
        out.println("commands:");
        for (Command c : commands.values()) {
            out.printf("  %-12s %s%n", c.name(), c.summary());
        }
        out.println();
        out.println("Every command has --help. Durations: 500ms, 10s, 2m. Signals: TERM, SIGTERM or 15.");
        out.println("Exit codes: 0 success, 1 failure, 2 bad usage (nothing started or changed);");
        out.println("status: 0 running, 1 dead but pidfile exists, 3 not running, 4 unknown.");
    }
}
