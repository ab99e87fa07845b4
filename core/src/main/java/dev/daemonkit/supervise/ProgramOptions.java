package dev.daemonkit.supervise;

import dev.daemonkit.posix.Signal;
import dev.daemonkit.process.ListenAddress;
import dev.daemonkit.supervise.ProgramOption.Type;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The table of program options: every flag of {@code daemonkit supervise}/{@code prefork}, every
 * key of a {@code [program:NAME]} section, and their help lines come from here; the defaults come
 * from {@link ProgramSpec.Builder}. A new option is one row (and its field in ProgramSpec); the
 * command line, config files and help pick it up.
 */
public final class ProgramOptions {
    static final Type<Duration> DURATION = new Type<>("D", (t, base) -> OptionValues.duration(t), OptionValues::format,
            false);
    static final Type<Boolean> SWITCH = new Type<>(null, (t, base) -> OptionValues.bool(t), String::valueOf, false);
    static final Type<Signal> SIGNAL = new Type<>("SIG", (t, base) -> OptionValues.signal(t), Signal::shortName, false);
    static final Type<Map<Signal, Signal>> SIGNAL_MAP = new Type<>("FROM:TO", (t, base) -> OptionValues.signalMap(t),
            OptionValues::formatSignalMap, true);
    static final Type<Set<Integer>> EXIT_CODES = new Type<>("LIST", (t, base) -> OptionValues.exitCodes(t),
            OptionValues::formatExitCodes, false);
    static final Type<RestartPolicy> RESTART = new Type<>("P", (t, base) -> OptionValues.restart(t), OptionValues::format,
            false);
    static final Type<Long> SIZE = new Type<>("SIZE", (t, base) -> OptionValues.size(t), OptionValues::formatSize, false);
    static final Type<Map<String, String>> ENVIRONMENT = new Type<>("K=V", (t, base) -> OptionValues.environment(t),
            OptionValues::formatEnvironment, true);
    static final Type<List<ListenAddress>> LISTEN = new Type<>("[NAME=]HOST:PORT", (t, base) -> OptionValues.listen(t),
            l -> l.stream().map(ListenAddress::toString).collect(Collectors.joining(",")), true);
    static final Type<Path> FILE = path("FILE");
    static final Type<Path> DIRECTORY = path("DIR");

    private static final List<ProgramOption> ALL = List.of(
            ProgramOption.of("restart", RESTART, ProgramSpec.Builder::restart, ProgramSpec::restart,
                    "always, on-failure or never after an exit from RUNNING", "autorestart"),
            ProgramOption.of("exit-codes", EXIT_CODES, ProgramSpec.Builder::exitCodes, ProgramSpec::exitCodes,
                    "exit codes that count as success, e.g. 0,2", "exitcodes"),
            ProgramOption.of("start-seconds", DURATION, ProgramSpec.Builder::startSeconds, ProgramSpec::startSeconds,
                    "it must stay up this long to count as started", "startsecs"),
            ProgramOption.of("start-retries", count(0, 1000), ProgramSpec.Builder::startRetries, ProgramSpec::startRetries,
                    "failed starts in a row before FATAL", "startretries"),
            ProgramOption.of("backoff-max", DURATION, ProgramSpec.Builder::backoffMax, ProgramSpec::backoffMax,
                    "cap of the exponential wait between failed starts"),
            ProgramOption.of("stop-signal", SIGNAL, ProgramSpec.Builder::stopSignal, ProgramSpec::stopSignal,
                    "signal that stops it", "stopsignal"),
            ProgramOption.of("stop-timeout", DURATION, ProgramSpec.Builder::stopTimeout, ProgramSpec::stopTimeout,
                    "then SIGKILL", "stopwaitsecs"),
            ProgramOption.of("signal-group", SWITCH, ProgramSpec.Builder::signalGroup, ProgramSpec::signalGroup,
                    "give it its own process group and signal the whole group", "stopasgroup", "killasgroup"),
            ProgramOption.of("map-signal", SIGNAL_MAP, (b, m) -> m.forEach(b::mapSignal), ProgramSpec::signalMap,
                    "forward signal FROM as TO, e.g. TERM:QUIT (dumb-init -r)", "signal_map"),
            ProgramOption.of("pdeathsig", SIGNAL, ProgramSpec.Builder::parentDeathSignal, ProgramSpec::parentDeathSignal,
                    "it gets SIG if the supervisor dies, even by SIGKILL (PR_SET_PDEATHSIG)"),
            ProgramOption.of("numprocs", count(1, 1000), ProgramSpec.Builder::numprocs, ProgramSpec::numprocs,
                    "copies to run, named NAME:0, NAME:1..."),
            ProgramOption.of("env", ENVIRONMENT, (b, m) -> m.forEach(b::env), ProgramSpec::environment,
                    "extra environment, e.g. A=1 or A=1,B=\"x, y\"", "environment"),
            ProgramOption.of("directory", DIRECTORY, ProgramSpec.Builder::directory, ProgramSpec::directory,
                    "its working directory (default: the one supervise started in, detached too)"),
            ProgramOption.of("stdout-log", FILE, ProgramOptions::stdoutLogOnce, ProgramSpec::stdoutLog,
                    "its stdout, appended and rotated", "stdout_logfile"),
            ProgramOption.of("stderr-log", FILE, ProgramSpec.Builder::stderrLog, s -> s.redirectStderr() ? null
                    : s.stderrLog(), "its stderr, appended and rotated", "stderr_logfile"),
            ProgramOption.of("redirect-stderr", SWITCH, ProgramSpec.Builder::redirectStderr, ProgramSpec::redirectStderr,
                    "its stderr goes where its stdout goes"),
            ProgramOption.of("program-log", FILE, (b, p) -> stdoutLogOnce(b, p).redirectStderr(true),
                    s -> s.redirectStderr() ? s.stdoutLog() : null, "its stdout and stderr (--stdout-log + --redirect-stderr)"),
            ProgramOption.of("log-max-bytes", SIZE, ProgramSpec.Builder::logMaxBytes, ProgramSpec::logMaxBytes,
                    "rotate a log when it would grow beyond this; 0: never", "logfile_maxbytes"),
            ProgramOption.of("log-backups", count(0, 1000), ProgramSpec.Builder::logBackups, ProgramSpec::logBackups,
                    "rotated log files kept", "logfile_backups"),
            ProgramOption.of("program-pidfile", FILE, ProgramSpec.Builder::pidfile, ProgramSpec::pidfile,
                    "it daemonizes itself: after it exits 0, follow the pid it writes here", "pidfile"),
            ProgramOption.of("notify", SWITCH, (b, v) -> b.service(b.service().withNotify(v)), s -> s.service().notifyReady(),
                    "started once it sends READY=1 to $NOTIFY_SOCKET (sd_notify; systemd Type=notify)"),
            ProgramOption.of("ready-fd", count(3, 1023), (b, fd) -> b.service(b.service().withReadyFd(fd)),
                    s -> s.service().readyFd() < 0 ? null : s.service().readyFd(),
                    "started once it writes a newline to its fd N (s6 notification-fd)"),
            ProgramOption.of("start-timeout", DURATION, (b, d) -> b.service(b.service().withStartTimeout(d)),
                    s -> s.service().startTimeout(), "with notify or ready-fd: how long it has to become ready"),
            ProgramOption.of("watchdog", DURATION, (b, d) -> b.service(b.service().withWatchdog(d)),
                    s -> s.service().hasWatchdog() ? s.service().watchdog() : null,
                    "restart it when no WATCHDOG=1 came for this long (systemd WatchdogSec=)"),
            ProgramOption.of("listen", LISTEN, (b, l) -> l.forEach(a -> b.service(b.service().withListen(a))),
                    s -> s.service().listen(), "bind it, pass it as LISTEN_FDS (socket activation); supervise keeps it across restarts"));

    private ProgramOptions() {
    }

    /** Every program option, in the order help lists them. */
    public static List<ProgramOption> all() {
        return ALL;
    }

    /** The flags of the service protocol (sd_notify, ready fd, watchdog, socket activation), which start takes too. */
    public static final Set<String> SERVICE_FLAGS = Set.of("notify", "ready-fd", "start-timeout", "watchdog", "listen");

    /** The options of the service protocol, in the order help lists them. */
    public static List<ProgramOption> serviceOptions() {
        return ALL.stream().filter(o -> SERVICE_FLAGS.contains(o.flag())).toList();
    }

    /** The option with this command-line name (without dashes). */
    public static Optional<ProgramOption> byFlag(String flag) {
        return ALL.stream().filter(o -> o.flag().equals(flag)).findFirst();
    }

    /** The option a config key names: its own key or an alias, in any case, with {@code -} or {@code _}. */
    public static Optional<ProgramOption> byKey(String key) {
        String k = ProgramOption.normalKey(key);
        return ALL.stream().filter(o -> o.iniKeys().contains(k)).findFirst();
    }

    /**
     * Help lines for {@code options}, each with the default {@code defaults} has:
     * {@code --stop-timeout D   then SIGKILL (default 10s)}.
     */
    public static String help(List<ProgramOption> options, ProgramSpec defaults) {
        return options.stream().map(o -> {
            String left = "--" + o.flag() + o.metavar().map(m -> " " + m).orElse("");
            String dflt = o.valueIn(defaults).map(v -> " (default " + v + ")").orElse("");
            return wrap(String.format("  %-24s ", left), o.help() + dflt + (o.repeatable() ? " (repeatable)" : ""));
        }).collect(Collectors.joining("\n"));
    }

    /** {@code text} after {@code head}, wrapped at 96 columns with continuation lines under the text. */
    private static String wrap(String head, String text) {
        StringBuilder sb = new StringBuilder(head);
        int column = head.length();
        for (String word : text.split(" ")) {
            if (column > head.length() && column + 1 + word.length() > 96) {
                sb.append('\n').append(" ".repeat(head.length()));
                column = head.length();
            } else if (column > head.length()) {
                sb.append(' ');
                column++;
            }
            sb.append(word);
            column += word.length();
        }
        return sb.toString();
    }

    /** The config keys that have other spellings, each with them: {@code start_seconds (startsecs)}. */
    public static List<String> aliasHelp() {
        return ALL.stream().filter(o -> o.iniKeys().size() > 1)
                .map(o -> o.iniKeys().get(0) + " (" + String.join(", ", o.iniKeys().subList(1, o.iniKeys().size())) + ")")
                .toList();
    }

    /** --stdout-log and --program-log both name the stdout log: giving both is a mistake, not "the last wins". */
    private static ProgramSpec.Builder stdoutLogOnce(ProgramSpec.Builder b, Path p) {
        if (b.hasStdoutLog()) {
            throw new IllegalArgumentException("the stdout log is already set (stdout-log and program-log name the same file)");
        }
        return b.stdoutLog(p);
    }

    private static Type<Integer> count(int min, int max) {
        return new Type<>("N", (t, base) -> OptionValues.integer(t, min, max), String::valueOf, false);
    }

    private static Type<Path> path(String metavar) {
        Function<Path, String> format = Path::toString;
        return new Type<>(metavar, (t, base) -> {
            if (t.isBlank()) {
                throw new IllegalArgumentException("needs a path");
            }
            return base.resolve(t.trim()).normalize();
        }, format, false);
    }
}
