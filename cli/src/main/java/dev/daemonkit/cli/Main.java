package dev.daemonkit.cli;

import java.io.PrintStream;
import dev.daemonkit.posix.ByteStrings;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code daemonkit} command line. Exit codes, for every command: 0 success, 1 the operation
 * failed, 2 bad usage (nothing was started or changed); {@code status} uses the LSB codes.
 */
public final class Main {
    private Main() {
    }

    /** The project's version, written into version.txt by the build (the pom is its one source). */
    static final String VERSION = readVersion();

    private static String readVersion() {
        try (var in = Main.class.getResourceAsStream("version.txt")) {
            return in == null ? "unknown" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /** Commands whose messages are a service's log: timestamped lines (slf4j-simple). */
    private static final java.util.Set<String> SERVICES = java.util.Set.of("serve", "supervise", "prefork", "init");
    /** Commands that keep running: logging is set up before they start, not on first use. */
    private static final java.util.Set<String> STAYING = java.util.Set.of("serve", "supervise", "prefork", "run", "init");

    /** Every command, in the order {@code --help} lists them. */
    static Map<String, Command> commands() {
        Map<String, Command> m = new LinkedHashMap<>();
        for (Command c : List.<Command>of(
                new StartCommand(),
                new StopCommand(),
                new RestartCommand(),
                new StatusCommand(),
                SignalDaemonCommand.reload(),
                SignalDaemonCommand.reopenLogs(),
                new RunCommand(),
                new ServeCommand(),
                new SuperviseCommand(),
                new PreforkCommand(),
                new InitCommand(),
                new CtlCommand(),
                new PsCommand(),
                new PidsCommand(),
                new DemoCommand(),
                new VersionCommand())) {
            m.put(c.name(), c);
        }
        return m;
    }

    public static void main(String[] argv) {
        configureLogging();
        System.exit(run(ByteStrings.exactArguments(argv), System.out, System.err)); // arguments byte-exact
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
        Map<String, Command> commands = commands();
        if (argv.isEmpty() || argv.get(0).equals("--help") || argv.get(0).equals("-h") || argv.get(0).equals("help")) {
            if (argv.size() > 1 && commands.containsKey(argv.get(1))) {
                out.println(commands.get(argv.get(1)).usage());
                return Command.OK;
            }
            printHelp(argv.isEmpty() ? err : out, commands);
            return argv.isEmpty() ? Command.USAGE : Command.OK;
        }
        if (argv.get(0).equals("--version")) {
            out.println("daemonkit " + VERSION);
            return Command.OK;
        }
        Command c = commands.get(argv.get(0));
        if (c == null) {
            err.println("daemonkit: unknown command '" + argv.get(0) + "'"
                    + DidYouMean.hint(argv.get(0), commands.keySet(), "") + "; see daemonkit --help");
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
        out.println("daemonkit " + VERSION + " - Unix daemons, spawning, reaping and supervision for the JVM");
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
