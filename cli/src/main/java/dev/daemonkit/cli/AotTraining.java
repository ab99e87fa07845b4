package dev.daemonkit.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import dev.daemonkit.posix.ByteStrings;

/**
 * The training run behind {@code ./daemonkit}'s AOT cache (JDK 24+) or AppCDS archive (JDK 22-23):
 * runs the commands people run most, once each, in one JVM, so that the classes (and on JDK 25
 * the linked call sites and profiles) they need come from the cache next time. Everything it
 * touches lives in the scratch directory given as its argument; it prints nothing.
 *
 * <p>{@code java -XX:AOTCacheOutput=daemonkit.aot -cp target/daemonkit.jar
 * dev.daemonkit.cli.AotTraining DIR [quick|ctl]} (see .mvn/daemonkit-build.sh).
 *
 * <p>Three caches, because the JVM loads every class of an AOT cache when it starts (a cache of
 * 13 MB starts ~8 ms faster than one of 19 MB): with {@code quick}, only what the commands that
 * call no native function need ({@code --help}, {@code version}, {@code status/stop/reload/
 * reopen-logs} of a daemon that is not running); with {@code ctl}, what {@code ctl} needs (the
 * JDK's UNIX-domain socket client and the security providers it seeds a SecureRandom from);
 * without, everything (the FFM linker, the spawn path, the long-running commands).
 */
public final class AotTraining {
    private AotTraining() {
    }

    /** The commands ./daemonkit runs with the quick cache (when their pidfile does not exist). */
    private static final List<String> QUICK_COMMANDS = List.of("status", "stop", "reload", "reopen-logs", "version");

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2 || (args.length == 2 && !Set.of("quick", "ctl").contains(args[1]))) {
            System.err.println("usage: AotTraining SCRATCH_DIR [quick|ctl]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        String kind = args.length == 2 ? args[1] : "full";
        ByteStrings.exactArguments(new String[] {args[args.length - 1]}); // what main() does first (its decoding too)
        Main.configureLogging();
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        Path socket = dir.resolve("ctl.sock");
        if (kind.equals("ctl")) {
            Main.run(List.of("ctl", "--help"), sink, sink);
            Main.run(List.of("ctl", "--control", socket.toString(), "status"), sink, sink);
            trainControlClient(sink);
            System.exit(0);
        }
        boolean quick = kind.equals("quick");
        String missing = dir.resolve("missing.pid").toString();
        List<List<String>> lines = new ArrayList<>();
        lines.add(List.of());
        lines.add(List.of("--help"));
        lines.add(List.of("--version"));
        lines.add(List.of("version"));
        lines.add(List.of("nosuchcommand"));
        for (String c : quick ? QUICK_COMMANDS : Main.commands().keySet()) {
            lines.add(List.of(c, "--help"));
        }
        lines.add(List.of("status", "--pidfile", missing));
        lines.add(List.of("stop", "--pidfile", missing));
        lines.add(List.of("reload", "--pidfile", missing));
        lines.add(List.of("reopen-logs", "--pidfile", missing));
        if (!quick) {
            lines.add(List.of("start", "--pidfile", missing)); // usage error: no command
            lines.add(List.of("ctl", "--control", socket.toString(), "status"));
        }
        for (List<String> line : lines) {
            Main.run(line, sink, sink);
        }
        if (!quick) {
            trainControlClient(sink);
            trainNativePaths(dir, sink);
        }
        // The cache is written when the JVM exits; helper threads must not keep it alive.
        System.exit(0);
    }

    /** status of a pidfile nobody holds, a real start, status and stop: the FFM paths. */
    private static void trainNativePaths(Path dir, PrintStream sink) {
        Path stale = dir.resolve("stale.pid");
        // A pidfile nobody holds: the FFM path (open, read, flock) of status.
        try {
            Files.writeString(stale, "2147483646\n");
            Main.run(List.of("status", "--pidfile", stale.toString()), sink, sink);
        } catch (IOException e) {
            // training only: a step that cannot run just trains less
        }
        trainStartAndStop(dir, sink);
    }

    /** ctl against a stand-in supervisor: the JDK's UNIX-domain socket client. */
    private static void trainControlClient(PrintStream sink) throws IOException, InterruptedException {
        // A supervisor's answer, from a stand-in that replies once. In a directory of its own under
        // /tmp: a socket path must stay under 108 bytes, wherever the project lives.
        Path sockDir = null;
        try {
            sockDir = Files.createTempDirectory("daemonkit-aot");
            // The provider ctl names (the stand-in's socket below is this process's first).
            CtlCommand.useJdkSelectorProvider();
            Path answering = sockDir.resolve("ctl.sock");
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                server.bind(UnixDomainSocketAddress.of(answering));
                Thread answer = Thread.ofPlatform().daemon().start(() -> {
                    answerOnce(server);
                    answerOnce(server);
                });
                // Both ways to name the socket: --control, and --pidfile (the socket beside it).
                Main.run(List.of("ctl", "--control", answering.toString(), "status"), sink, sink);
                Main.run(List.of("ctl", "--pidfile", sockDir.resolve("ctl.pid").toString(), "status"), sink, sink);
                answer.join(5_000);
            } finally {
                Files.deleteIfExists(answering);
            }
        } catch (IOException e) {
            // training only
        } finally {
            if (sockDir != null) {
                Files.deleteIfExists(sockDir);
            }
        }
    }

    private static void trainStartAndStop(Path dir, PrintStream sink) {
        // A real start and stop: spawning, the pidfile's lock and the readiness pipe are most of
        // start's own cost (downcall stubs, lambda forms) and come from the cache afterwards.
        Path daemonPidfile = dir.resolve("trained.pid");
        try {
            Main.run(List.of("start", "--grace", "settled", "--pidfile", daemonPidfile.toString(), "--", "sleep", "60"),
                    sink, sink);
            Main.run(List.of("status", "--pidfile", daemonPidfile.toString()), sink, sink);
        } finally {
            Main.run(List.of("stop", "--pidfile", daemonPidfile.toString()), sink, sink);
        }
    }

    private static void answerOnce(ServerSocketChannel server) {
        try (SocketChannel client = server.accept()) {
            client.read(ByteBuffer.allocate(256));
            client.write(ByteBuffer.wrap("OK\nsleep RUNNING pid 1, uptime 0:00:01\n".getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            // training only: a failed exchange just trains less
        }
    }
}
