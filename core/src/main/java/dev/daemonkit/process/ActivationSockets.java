package dev.daemonkit.process;

import dev.daemonkit.posix.PosixException;
import java.io.IOException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The providing side of socket activation (systemd's .socket units, systemd-socket-activate):
 * listening sockets bound here and passed to a program as fds 3, 4, ... with
 * {@code LISTEN_FDS=n}, {@code LISTEN_FDNAMES=a:b} and {@code LISTEN_PID} = the program's own pid
 * (set through {@link Spawn#ownPidVariables}). The sockets stay open here for as long as this
 * object lives, so a program restarted meanwhile finds the same sockets: connections that arrive
 * while no program runs wait in the listen backlog instead of being refused.
 */
public final class ActivationSockets implements AutoCloseable {
    /** sd_listen_fds(3): the first passed descriptor. */
    public static final int FIRST_FD = 3;
    /** Backlog of each socket: connections that may wait while the program restarts. */
    static final int BACKLOG = 1024;

    private final List<ListenAddress> addresses;
    private final List<ListenSocket> sockets;

    private ActivationSockets(List<ListenAddress> addresses, List<ListenSocket> sockets) {
        this.addresses = List.copyOf(addresses);
        this.sockets = List.copyOf(sockets);
    }

    /**
     * Binds every address, in order.
     *
     * @throws IOException naming the address that could not be bound (in use, privileged, unknown
     *                     host); none stays bound then
     */
    public static ActivationSockets bind(List<ListenAddress> addresses) throws IOException {
        List<ListenSocket> bound = new ArrayList<>();
        try {
            for (ListenAddress a : addresses) {
                try {
                    bound.add(ListenSocket.listen(a.address(), a.port(), BACKLOG));
                } catch (PosixException | UnknownHostException e) {
                    throw new IOException("cannot listen on " + a + ": " + e.getMessage(), e);
                }
            }
            return new ActivationSockets(addresses, bound);
        } catch (IOException | RuntimeException e) {
            bound.forEach(ListenSocket::close);
            throw e;
        }
    }

    /** How many sockets. */
    public int count() {
        return sockets.size();
    }

    /** The port each socket is bound to, in order (useful after port 0). */
    public List<Integer> ports() {
        return sockets.stream().map(ListenSocket::port).toList();
    }

    /** "http=127.0.0.1:8080, 127.0.0.1:9090" with the bound ports. */
    public String describe() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < sockets.size(); i++) {
            ListenAddress a = addresses.get(i);
            out.add(new ListenAddress(a.name(), a.host(), sockets.get(i).port()).toString());
        }
        return String.join(", ", out);
    }

    /**
     * Hands the sockets to a child: fds 3.. in order, LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID
     * (the child's own pid, through the exec trampoline).
     */
    public Spawn passTo(Spawn spawn) {
        for (int i = 0; i < sockets.size(); i++) {
            spawn.passFd(sockets.get(i).fd().number(), FIRST_FD + i);
        }
        return spawn.env("LISTEN_FDS", Integer.toString(sockets.size()))
                .env("LISTEN_FDNAMES", addresses.stream().map(ListenAddress::name).collect(Collectors.joining(":")))
                .ownPidVariables("LISTEN_PID");
    }

    @Override
    public void close() {
        sockets.forEach(ListenSocket::close);
    }
}
