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

/**
 * The training run behind {@code ./daemonkit}'s AOT cache (JDK 24+) or AppCDS archive (JDK 22-23):
 * runs the commands people run most, once each, in one JVM, so that the classes (and on JDK 25
 * the linked call sites and profiles) they need come from the cache next time. Everything it
 * touches lives in the scratch directory given as its argument; it prints nothing.
 *
 * <p>{@code java -XX:AOTCacheOutput=daemonkit.aot -cp target/daemonkit.jar
 * dev.daemonkit.cli.AotTraining DIR} (see .mvn/daemonkit-build.sh).
 */
public final class AotTraining {
    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: AotTraining SCRATCH_DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Main.configureLogging();
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        String missing = dir.resolve("missing.pid").toString();
        Path stale = dir.resolve("stale.pid");
        Path socket = dir.resolve("ctl.sock");
        List<List<String>> lines = new ArrayList<>();
        lines.add(List.of());
        lines.add(List.of("--help"));
        lines.add(List.of("--version"));
        lines.add(List.of("version"));
        lines.add(List.of("nosuchcommand"));
        for (String c : Main.commands().keySet()) {
            lines.add(List.of(c, "--help"));
        }
        lines.add(List.of("status", "--pidfile", missing));
        lines.add(List.of("stop", "--pidfile", missing));
        lines.add(List.of("reload", "--pidfile", missing));
        lines.add(List.of("start", "--pidfile", missing)); // usage error: no command
        lines.add(List.of("ctl", "--control", socket.toString(), "status"));
        for (List<String> line : lines) {
            Main.run(line, sink, sink);
        }
        // A pidfile nobody holds: the FFM path (open, read, flock) of status.
        try {
            Files.writeString(stale, "2147483646\n");
            Main.run(List.of("status", "--pidfile", stale.toString()), sink, sink);
        } catch (IOException e) {
            // training only: a step that cannot run just trains less
        }
        // A supervisor's answer, from a stand-in that replies once. In a directory of its own under
        // /tmp: a socket path must stay under 108 bytes, wherever the project lives.
        Path sockDir = null;
        try {
            sockDir = Files.createTempDirectory("daemonkit-aot");
            Path answering = sockDir.resolve("ctl.sock");
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                server.bind(UnixDomainSocketAddress.of(answering));
                Thread answer = Thread.ofPlatform().daemon().start(() -> answerOnce(server));
                Main.run(List.of("ctl", "--control", answering.toString(), "status"), sink, sink);
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
        // A real start and stop: spawning, the pidfile's lock and the readiness pipe are most of
        // start's own cost (downcall stubs, lambda forms) and come from the cache afterwards.
        Path daemonPidfile = dir.resolve("trained.pid");
        try {
            Main.run(List.of("start", "--grace", "0", "--pidfile", daemonPidfile.toString(), "--", "sleep", "60"),
                    sink, sink);
            Main.run(List.of("status", "--pidfile", daemonPidfile.toString()), sink, sink);
        } finally {
            Main.run(List.of("stop", "--pidfile", daemonPidfile.toString()), sink, sink);
        }
        // The cache is written when the JVM exits; helper threads must not keep it alive.
        System.exit(0);
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
