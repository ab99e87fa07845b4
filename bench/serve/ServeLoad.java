import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Loopback load generator for {@code daemonkit serve} (run by bench/serve-load as a single-file
 * program: {@code java ServeLoad.java --port P --pid PID ...}). Phases of --seconds each:
 * <ol>
 *   <li>keepalive: --clients connections, each sending GET after GET;</li>
 *   <li>close: --clients clients, a new connection for every request;</li>
 *   <li>abuse: as keepalive, plus 16 silent sockets and 16 that trickle one header byte a second
 *       (both reopened when the server drops them) and a 300 KB path once a second.</li>
 * </ol>
 * Records requests/s, errors, latency percentiles and the server's VmRSS (sampled every 100 ms)
 * and VmHWM from /proc/PID/status; prints a table and writes JSON to --out.
 */
public final class ServeLoad {
    static int port;
    static long serverPid;
    static final String PATH = "/index.html";

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        port = Integer.parseInt(o.get("port"));
        serverPid = Long.parseLong(o.get("pid"));
        int clients = Integer.parseInt(o.getOrDefault("clients", "50"));
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "20"));
        int slow = Integer.parseInt(o.getOrDefault("slow", "16"));
        Path out = Path.of(o.getOrDefault("out", "serve-load.json"));

        StringBuilder json = new StringBuilder("{\n");
        json.append(String.format(Locale.ROOT, "  \"clients\": %d, \"seconds\": %s, \"slow\": %d,%n", clients,
                seconds, slow));
        json.append("  \"rss_kib_before\": ").append(proc("VmRSS")).append(",\n  \"phases\": [\n");
        warmUp();
        List<String> phases = new ArrayList<>();
        for (String phase : List.of("keepalive", "close", "abuse")) {
            phases.add(run(phase, clients, seconds, slow));
        }
        json.append(String.join(",\n", phases)).append("\n  ],\n");
        Thread.sleep(5000); // idle: does the memory stay where the load left it, or come down?
        json.append("  \"rss_kib_after_idle_5s\": ").append(proc("VmRSS")).append(",\n");
        json.append("  \"rss_kib_peak_vmhwm\": ").append(proc("VmHWM")).append("\n}\n");
        Files.writeString(out, json);
        System.out.printf(Locale.ROOT, "server RSS: after 5 s idle %d KiB, peak (VmHWM) %d KiB%n", proc("VmRSS"),
                proc("VmHWM"));
    }

    /** A few thousand requests first, so that the JIT has compiled the server before anything is measured. */
    static void warmUp() throws InterruptedException {
        long end = System.nanoTime() + 3_000_000_000L;
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ts.add(Thread.ofPlatform().start(() -> {
                while (System.nanoTime() < end) {
                    try (Client c = new Client()) {
                        for (int k = 0; k < 200 && System.nanoTime() < end; k++) {
                            c.get(PATH, false);
                        }
                    } catch (IOException e) {
                        // the measured phases count errors
                    }
                }
            }));
        }
        for (Thread t : ts) {
            t.join();
        }
    }

    static String run(String phase, int clients, double seconds, int slow) throws Exception {
        long rssBefore = proc("VmRSS");
        AtomicBoolean go = new AtomicBoolean(true);
        AtomicLong rssMax = new AtomicLong(rssBefore);
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (go.get()) {
                rssMax.accumulateAndGet(proc("VmRSS"), Math::max);
                sleep(100);
            }
        });
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            workers.add(new Worker(!phase.equals("close"), go));
        }
        Abuse abuse = phase.equals("abuse") ? new Abuse(slow, go) : null;
        long t0 = System.nanoTime();
        workers.forEach(w -> w.thread = Thread.ofPlatform().start(w));
        Thread.sleep((long) (seconds * 1000));
        go.set(false);
        for (Worker w : workers) {
            w.thread.join();
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        if (abuse != null) {
            abuse.join();
        }
        sampler.join();

        long ok = workers.stream().mapToLong(w -> w.ok).sum();
        long errors = workers.stream().mapToLong(w -> w.errors).sum();
        long[] lat = merge(workers.stream().map(w -> w.latencies).toList());
        double rps = ok / elapsed;
        String summary = String.format(Locale.ROOT,
                "%-9s %4d clients %5.1f s: %8.0f req/s, %d errors, latency ms p50 %.2f p90 %.2f p99 %.2f max %.1f;"
                        + " RSS KiB %d -> %d (max %d)",
                phase, clients, elapsed, rps, errors, ms(pct(lat, 50)), ms(pct(lat, 90)), ms(pct(lat, 99)),
                ms(max(lat)), rssBefore, proc("VmRSS"), rssMax.get());
        System.out.println(summary);
        StringBuilder j = new StringBuilder(String.format(Locale.ROOT,
                "    {\"phase\": \"%s\", \"seconds\": %.2f, \"requests\": %d, \"req_per_s\": %.1f, \"errors\": %d,"
                        + " \"latency_ms\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"p999\": %.3f,"
                        + " \"max\": %.3f}, \"rss_kib\": {\"before\": %d, \"after\": %d, \"max\": %d}",
                phase, elapsed, ok, rps, errors, ms(pct(lat, 50)), ms(pct(lat, 90)), ms(pct(lat, 99)),
                ms(pct(lat, 99.9)), ms(max(lat)), rssBefore, proc("VmRSS"), rssMax.get()));
        if (abuse != null) {
            long[] lp = abuse.longPathLatencies();
            String a = String.format(Locale.ROOT,
                    "          slow clients dropped by the server: %d; 300 KB path: %d requests, statuses %s,"
                            + " latency ms p50 %.1f max %.1f",
                    abuse.dropped.get(), lp.length, abuse.longPathStatuses, ms(pct(lp, 50)), ms(max(lp)));
            System.out.println(a);
            j.append(String.format(Locale.ROOT,
                    ", \"slow_clients\": %d, \"slow_dropped\": %d, \"long_path\": {\"requests\": %d,"
                            + " \"statuses\": \"%s\", \"p50_ms\": %.2f, \"max_ms\": %.2f}",
                    2 * abuse.slow, abuse.dropped.get(), lp.length, abuse.longPathStatuses, ms(pct(lp, 50)),
                    ms(max(lp))));
        }
        return j.append('}').toString();
    }

    /** One client: GET after GET, on one connection (keepalive) or a new one each time. */
    static final class Worker implements Runnable {
        final boolean keepAlive;
        final AtomicBoolean go;
        Thread thread;
        long ok;
        long errors;
        long[] latencies = new long[1 << 14];
        int n;

        Worker(boolean keepAlive, AtomicBoolean go) {
            this.keepAlive = keepAlive;
            this.go = go;
        }

        @Override
        public void run() {
            Client c = null;
            while (go.get()) {
                long t = System.nanoTime();
                try {
                    if (c == null) {
                        c = new Client();
                    }
                    int status = c.get(PATH, !keepAlive);
                    if (!keepAlive || c.closing) { // the server closes after its per-connection request limit
                        c.close();
                        c = null;
                    }
                    if (status == 200) {
                        ok++;
                        record(System.nanoTime() - t);
                    } else {
                        errors++;
                    }
                } catch (IOException e) {
                    errors++;
                    closeQuietly(c);
                    c = null;
                }
            }
            closeQuietly(c);
            latencies = Arrays.copyOf(latencies, n);
        }

        void record(long nanos) {
            if (n == latencies.length) {
                latencies = Arrays.copyOf(latencies, n * 2);
            }
            latencies[n++] = nanos;
        }
    }

    /** The misbehaving clients of the abuse phase. */
    static final class Abuse {
        final int slow;
        final AtomicBoolean go;
        final AtomicLong dropped = new AtomicLong();
        final List<Thread> threads = new ArrayList<>();
        final List<Long> longPath = new ArrayList<>();
        final Map<Integer, Integer> longPathStatuses = new java.util.TreeMap<>();

        Abuse(int slow, AtomicBoolean go) {
            this.slow = slow;
            this.go = go;
            for (int i = 0; i < slow; i++) {
                threads.add(Thread.ofVirtual().start(() -> slowClient(false)));
                threads.add(Thread.ofVirtual().start(() -> slowClient(true)));
            }
            threads.add(Thread.ofVirtual().start(this::longPaths));
        }

        /** Connects and sends nothing (or one header byte a second); reconnects when dropped. */
        void slowClient(boolean trickle) {
            byte[] head = "GET /index.html HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                    .getBytes(StandardCharsets.ISO_8859_1);
            while (go.get()) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.setSoTimeout(1000);
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    for (int i = 0; go.get(); i = (i + 1) % head.length) {
                        if (trickle) {
                            out.write(head[i]);
                            out.flush();
                        }
                        try {
                            if (in.read() < 0) {
                                break; // dropped
                            }
                            in.transferTo(OutputStream.nullOutputStream()); // a 408, then the end
                            break;
                        } catch (java.net.SocketTimeoutException e) {
                            // still held open by the server: go on
                        }
                    }
                    if (go.get()) {
                        dropped.incrementAndGet();
                    }
                } catch (IOException e) {
                    if (go.get()) {
                        dropped.incrementAndGet(); // reset: dropped as well
                    }
                }
            }
        }

        void longPaths() {
            String path = "/" + "x/".repeat(150_000);
            while (go.get()) {
                long t = System.nanoTime();
                int status;
                try (Client c = new Client()) {
                    status = c.get(path, true);
                } catch (IOException e) {
                    status = -1;
                }
                synchronized (this) {
                    longPath.add(System.nanoTime() - t);
                    longPathStatuses.merge(status, 1, Integer::sum);
                }
                sleep(1000);
            }
        }

        synchronized long[] longPathLatencies() {
            return longPath.stream().mapToLong(Long::longValue).sorted().toArray();
        }

        void join() throws InterruptedException {
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    /** A minimal HTTP/1.1 client: one request, the response's status, the body read and dropped. */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        boolean closing;

        Client() throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(30_000);
            socket.setTcpNoDelay(true);
            in = new BufferedInputStream(socket.getInputStream(), 16384);
            out = socket.getOutputStream();
        }

        int get(String path, boolean close) throws IOException {
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (close ? "Connection: close\r\n" : "")
                    + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            StringBuilder head = new StringBuilder();
            int matched = 0;
            while (matched < 4) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("closed in a response head");
                }
                head.append((char) c);
                matched = c == "\r\n\r\n".charAt(matched) ? matched + 1 : (c == '\r' ? 1 : 0);
            }
            String h = head.toString();
            closing = h.toLowerCase(Locale.ROOT).contains("\r\nconnection: close\r\n");
            int status = Integer.parseInt(h.substring(9, 12));
            int i = h.toLowerCase(Locale.ROOT).indexOf("content-length:");
            if (i >= 0) {
                long len = Long.parseLong(h.substring(i + 15, h.indexOf('\r', i)).strip());
                in.skipNBytes(len);
            }
            return status;
        }

        @Override
        public void close() {
            closeQuietly(this);
        }
    }

    static void closeQuietly(Client c) {
        if (c != null) {
            try {
                c.socket.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    static long proc(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + serverPid + "/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            // the server is gone
        }
        return -1;
    }

    static long[] merge(List<long[]> parts) {
        long[] all = parts.stream().flatMapToLong(Arrays::stream).toArray();
        Arrays.sort(all);
        return all;
    }

    /** The p-th percentile of sorted values (nearest rank). */
    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[(int) Math.max(0, Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1))];
    }

    static long max(long[] a) {
        return Arrays.stream(a).max().orElse(0);
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
