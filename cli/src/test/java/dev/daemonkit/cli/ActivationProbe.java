package dev.daemonkit.cli;

import dev.daemonkit.daemon.SocketActivation;
import dev.daemonkit.posix.ProcessEnvironment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A socket-activated test program: takes every inherited socket with {@link SocketActivation}
 * and answers each connection on the socket named N with
 * {@code name=N port=P localAddressPort=Q listenPid=...}, one accepting thread per socket.
 */
public final class ActivationProbe {
    private ActivationProbe() {
    }

    public static void main(String[] args) throws Exception {
        var listeners = SocketActivation.listeners();
        if (listeners.isEmpty()) {
            System.err.println("ActivationProbe: not socket-activated");
            System.exit(2);
        }
        String after = "listenPid=" + ProcessEnvironment.get("LISTEN_PID") + " fds=" + ProcessEnvironment.get("LISTEN_FDS");
        for (SocketActivation.Listener l : listeners) {
            ServerSocketChannel ch = SocketActivation.channel(l);
            int reported = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            byte[] reply = ("name=" + l.name() + " port=" + l.port() + " localAddressPort=" + reported + " " + after + "\n")
                    .getBytes(StandardCharsets.US_ASCII);
            Thread.ofPlatform().start(() -> {
                while (true) {
                    try (SocketChannel c = ch.accept()) {
                        c.write(ByteBuffer.wrap(reply));
                    } catch (Exception e) {
                        return;
                    }
                }
            });
        }
        Thread.currentThread().join();
    }
}
