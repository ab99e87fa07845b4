package dev.daemonkit.example.consumer;

import dev.daemonkit.daemon.Daemon;
import dev.daemonkit.daemon.DaemonOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Answers "hello from pid N" on a TCP port of 127.0.0.1, as a daemon.
 *
 * <pre>
 * java --enable-native-access=dev.daemonkit -p target/modules \
 *      -m dev.daemonkit.example.consumer/dev.daemonkit.example.consumer.HelloDaemon PIDFILE LOG PORTFILE
 * </pre>
 *
 * The command returns once the daemon is listening; it writes the port it got to PORTFILE.
 */
public final class HelloDaemon {
    private HelloDaemon() {
    }

    public static void main(String[] args) throws IOException {
        // The three lines: detach (the launching JVM exits here once we are ready), listen, ready.
        Daemon daemon = Daemon.daemonize(DaemonOptions.builder().pidfile(Path.of(args[0])).log(Path.of(args[1])).build());
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        daemon.ready();

        Files.writeString(Path.of(args[2]), server.getLocalPort() + "\n");
        System.out.println("hello daemon " + daemon.pid() + " listening on port " + server.getLocalPort());
        byte[] hello = ("hello from pid " + daemon.pid() + "\n").getBytes(StandardCharsets.UTF_8);
        while (true) { // SIGTERM ends the JVM; daemonkit's shutdown hook removes the pidfile
            try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                out.write(hello);
            }
        }
    }
}
