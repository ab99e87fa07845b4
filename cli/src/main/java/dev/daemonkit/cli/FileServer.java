package dev.daemonkit.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example static file server (the classic first daemon: files over HTTP, run in the
 * background), done safely: no escape from its root, every client bounded. A small, strict HTTP/1.1
 * server of our own (GET and HEAD, keep-alive) on a {@link ServerSocketChannel}, one virtual
 * thread per connection, every client bounded by {@link HttpLimits}; what may be read is decided
 * by {@link StaticFiles}. It serves on a channel it binds itself or on one it is handed already
 * bound — inherited from a supervisor or from systemd socket activation, which the JDK's
 * HttpServer cannot take.
 */
final class FileServer {
    private static final Logger LOG = LoggerFactory.getLogger(FileServer.class);
    private static final int BACKLOG = 256;
    private static final int BUFFER_BYTES = 16384;

    private final StaticFiles files;
    private final HttpLimits limits;
    private final ServerSocketChannel listener;
    private final Semaphore slots;
    private final Set<HttpConnection> open = ConcurrentHashMap.newKeySet();
    /** Buffers of closed connections, for the next ones: a steady load allocates (almost) nothing. */
    private final ArrayBlockingQueue<ByteBuffer> spareBuffers;
    private final int bufferBytes;
    private volatile boolean stopping;
    private Thread acceptor;
    private Thread watchdog;

    private FileServer(Path root, ServerSocketChannel listener, HttpLimits limits) throws IOException {
        this.files = new StaticFiles(root, limits.maxSegments());
        this.limits = limits;
        this.listener = listener;
        this.slots = new Semaphore(limits.maxConnections());
        this.spareBuffers = new ArrayBlockingQueue<>(2 * limits.maxConnections());
        this.bufferBytes = Math.max(BUFFER_BYTES, limits.maxHeadBytes());
    }

    /**
     * Binds at once (so that a port in use fails here, before readiness is reported).
     *
     * @throws IOException "Address already in use" and the like, naming the address
     */
    static FileServer bind(Path root, InetSocketAddress address, HttpLimits limits) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(address, BACKLOG);
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot listen on " + address.getHostString() + ":" + address.getPort() + ": "
                    + e.getMessage(), e);
        }
        try {
            return new FileServer(root, ch, limits);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Serves on a channel that is already bound and listening: {@code System.inheritedChannel()},
     * a socket passed by {@code daemonkit prefork}, or a systemd LISTEN_FDS socket.
     */
    static FileServer on(Path root, ServerSocketChannel bound, HttpLimits limits) throws IOException {
        if (bound.getLocalAddress() == null) {
            throw new IOException("the server socket channel is not bound");
        }
        bound.configureBlocking(true);
        return new FileServer(root, bound, limits);
    }

    HttpLimits limits() {
        return limits;
    }

    StaticFiles files() {
        return files;
    }

    boolean stopping() {
        return stopping;
    }

    /** Connections being served now (accepted and not yet closed). */
    int openConnections() {
        return open.size();
    }

    int port() {
        try {
            return ((InetSocketAddress) listener.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new IllegalStateException("the listening socket is closed", e);
        }
    }

    /** See {@link StaticFiles#reload()}. */
    Path reload() throws IOException {
        return files.reload();
    }

    /** Starts accepting (on a virtual thread) and the watchdog that enforces the timeouts. */
    synchronized void start() {
        acceptor = Thread.ofVirtual().name("http-accept").start(this::acceptLoop);
        watchdog = Thread.ofVirtual().name("http-watchdog").start(this::watchLoop);
    }

    private void acceptLoop() {
        long id = 0;
        while (!stopping) {
            try {
                // At the connection bound the acceptor waits here, and new clients wait in the
                // kernel's backlog until a connection ends (the timeouts make sure one does).
                slots.acquire();
            } catch (InterruptedException e) {
                return;
            }
            SocketChannel ch = null;
            try {
                ch = listener.accept();
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                HttpConnection c = new HttpConnection(ch, this, buffer(), buffer());
                open.add(c);
                Thread.ofVirtual().name("http-", ++id).start(c);
            } catch (ClosedChannelException e) {
                slots.release();
                return; // stop() closed the listener
            } catch (IOException e) {
                slots.release();
                closeQuietly(ch);
                if (stopping) {
                    return;
                }
                // EMFILE and the like: say so, and do not spin on it.
                LOG.warn("accept failed: {}", e.toString());
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private ByteBuffer buffer() {
        ByteBuffer b = spareBuffers.poll();
        return b != null ? b : ByteBuffer.allocate(bufferBytes);
    }

    /** Called by a connection's thread when it ends. */
    void closed(HttpConnection c, ByteBuffer in, ByteBuffer out) {
        open.remove(c);
        spareBuffers.offer(in);
        spareBuffers.offer(out);
        slots.release();
    }

    private void watchLoop() {
        long tick = Stream.of(limits.requestTimeout(), limits.idleTimeout(), limits.sendTimeout())
                .mapToLong(Duration::toMillis).min().orElseThrow() / 4;
        tick = Math.clamp(tick, 10, 500);
        while (true) {
            try {
                Thread.sleep(tick);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (HttpConnection c : open) {
                c.expireIfDue(now);
            }
        }
    }

    /**
     * Stops accepting, ends idle connections, lets requests in flight finish (up to {@code grace}),
     * then closes whatever is left. The connections still open are counted in the log.
     */
    void stop(Duration grace) {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        closeQuietly(listener);
        if (acceptor != null) {
            // Closing wakes an acceptor blocked in accept(). Interrupting it there could drop a
            // connection accept() had just taken (ClosedByInterruptException; the client is reset
            // when we exit), so it is interrupted only if it still waits, for a connection slot.
            try {
                acceptor.join(Duration.ofMillis(500));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            acceptor.interrupt();
            join(acceptor);
        }
        open.forEach(HttpConnection::stopIfIdle);
        if (!drained(grace)) {
            LOG.warn("{} connection(s) still busy after {} ms: closing them", open.size(), grace.toMillis());
            open.forEach(HttpConnection::abort);
            drained(Duration.ofSeconds(1)); // their threads end at once now
        }
        if (watchdog != null) {
            watchdog.interrupt();
            join(watchdog);
        }
    }

    /** Waits until every connection has ended (all slots are free again). */
    private boolean drained(Duration timeout) {
        try {
            return slots.tryAcquire(limits.maxConnections(), timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void join(Thread t) {
        try {
            t.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(java.nio.channels.Channel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.debug("close: {}", e.toString());
            }
        }
    }
}
