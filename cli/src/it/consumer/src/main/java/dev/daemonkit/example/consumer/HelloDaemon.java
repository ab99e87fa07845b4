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
 * Answers "hello from pid N" on a TCP port of 127.0.0.1, as a daemon. The command returns once
 * the daemon is listening; the port it got is in PORTFILE.
 *
 * <pre>
 * java --enable-native-access=dev.daemonkit -p target/modules \
 *      -m dev.daemonkit.example.consumer/dev.daemonkit.example.consumer.HelloDaemon PIDFILE LOG PORTFILE
 * </pre>
 */
public final class HelloDaemon {
    private HelloDaemon() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: HelloDaemon PIDFILE LOG PORTFILE");
            System.exit(2);
        }
        // The daemon's working directory will be "/": make paths absolute against the launch directory.
        Path pidfile = Path.of(args[0]).toAbsolutePath();
        Path log = Path.of(args[1]).toAbsolutePath();
        Path portFile = Path.of(args[2]).toAbsolutePath();

        // Detach: the launching JVM waits here, and exits 0 once the daemon calls ready()
        // (1 with the error if it fails first). Only the daemon returns.
        Daemon daemon = Daemon.daemonize(DaemonOptions.builder().pidfile(pidfile).log(log).build());
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress()); // 127.0.0.1, a free port
        Files.writeString(portFile, server.getLocalPort() + "\n");
        daemon.ready();

        System.out.println("hello daemon " + daemon.pid() + " listening on 127.0.0.1:" + server.getLocalPort());
        byte[] hello = ("hello from pid " + daemon.pid() + "\n").getBytes(StandardCharsets.UTF_8);
        while (true) { // SIGTERM ends the JVM; daemonkit's shutdown hook removes the pidfile
            try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                out.write(hello);
            }
        }
    }
}
