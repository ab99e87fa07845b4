package dev.daemonkit.cli;

import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The tiny prefork worker: accepts on the listening socket it inherited as fd 0
 * ({@link System#inheritedChannel()}) and answers every connection with its own pid.
 */
public final class PreforkWorker {
    private PreforkWorker() {
    }

    public static void main(String[] args) throws Exception {
        if (!(System.inheritedChannel() instanceof ServerSocketChannel server)) {
            System.err.println("PreforkWorker: fd 0 is not an inherited listening socket");
            System.exit(2);
            return;
        }
        byte[] reply = ("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
        while (true) {
            try (SocketChannel c = server.accept()) {
                c.write(ByteBuffer.wrap(reply));
            }
        }
    }
}
