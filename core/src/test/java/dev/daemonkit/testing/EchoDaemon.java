package dev.daemonkit.testing;

import dev.daemonkit.daemon.Daemon;
import dev.daemonkit.daemon.DaemonOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Java application that daemonizes itself with the library: binds 127.0.0.1:PORT (0 = any),
 * writes the port to PORTFILE, reports ready, and answers every connection with its pid and sid.
 * Usage: EchoDaemon PIDFILE LOG PORTFILE PORT
 */
public final class EchoDaemon {
    private EchoDaemon() {
    }

    public static void main(String[] args) throws Exception {
        Daemon d = Daemon.daemonize(DaemonOptions.builder()
                .pidfile(Path.of(args[0]))
                .log(Path.of(args[1]))
                .readyTimeout(java.time.Duration.ofSeconds(30))
                .build());
        ServerSocket server = new ServerSocket();
        try {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[3])));
        } catch (IOException e) {
            d.failed("cannot bind 127.0.0.1:" + args[3] + ": " + e.getMessage());
            System.exit(1);
        }
        Files.writeString(Path.of(args[2]), Integer.toString(server.getLocalPort()));
        System.out.println("echo daemon pid " + d.pid() + " listening on " + server.getLocalPort());
        d.ready();
        while (true) {
            try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                String sid = Files.readString(Path.of("/proc/self/stat"));
                sid = sid.substring(sid.lastIndexOf(')') + 2).split(" ")[3];
                out.write((d.pid() + " " + sid + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
