package dev.daemonkit.process;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One {@code --listen [NAME=]HOST:PORT}: a TCP address to bind and hand to a program by socket
 * activation, under a name it finds in {@code LISTEN_FDNAMES}. IPv4 (as {@link ListenSocket}).
 */
public record ListenAddress(String name, String host, int port) {
    /** The name sd_listen_fds_with_names(3) gives a socket that has none. */
    public static final String UNNAMED = "unknown";
    /** systemd's FileDescriptorName= rules: 1..255 printable ASCII characters, no colon (the separator). */
    private static final Pattern NAME = Pattern.compile("[\\x21-\\x39\\x3b-\\x7e]{1,255}");

    public ListenAddress {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(host, "host");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a socket name is 1..255 printable characters without ':' or spaces: " + name);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535: " + port);
        }
    }

    /**
     * {@code [NAME=]HOST:PORT}, e.g. {@code http=127.0.0.1:8080} or {@code 0.0.0.0:9000} (named
     * {@value #UNNAMED}). Port 0 binds any free port.
     *
     * @throws IllegalArgumentException what was expected, quoting the text
     */
    public static ListenAddress parse(String text) {
        String t = text.trim();
        int eq = t.indexOf('=');
        String name = eq >= 0 ? t.substring(0, eq).trim() : UNNAMED;
        String hostPort = t.substring(eq + 1).trim();
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || eq == 0) {
            throw new IllegalArgumentException("needs [NAME=]HOST:PORT like 127.0.0.1:8080 or http=0.0.0.0:80: " + text);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("needs [NAME=]HOST:PORT with a numeric port: " + text);
        }
        return new ListenAddress(name, hostPort.substring(0, colon), port);
    }

    /** The IPv4 address (a name is resolved). */
    public InetAddress address() throws UnknownHostException {
        for (InetAddress a : InetAddress.getAllByName(host)) {
            if (a instanceof Inet4Address) {
                return a;
            }
        }
        throw new UnknownHostException(host + " has no IPv4 address");
    }

    /** Written as {@link #parse} reads it. */
    @Override
    public String toString() {
        return (name.equals(UNNAMED) ? "" : name + "=") + host + ":" + port;
    }
}
