package dev.daemonkit.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Test cleanup and /proc probes: kill only pids the test started, and wait until they are gone. */
public final class Processes {
    private Processes() {
    }

    /** Whether a pid exists and is not a zombie. */
    public static boolean alive(long pid) {
        return state(pid).map(s -> !s.equals("Z") && !s.equals("X")).orElse(false);
    }

    /** The one-letter state from /proc/PID/stat (R, S, D, Z, T...), if the pid exists. */
    public static Optional<String> state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return Optional.of(stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * A whole /proc or cgroupfs file. Not Files.readString: for /proc/sys files (size 0) it
     * returned only the first byte here.
     */
    public static String read(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** A field of /proc/PID/status such as "Umask" or "SigIgn", trimmed. */
    public static Optional<String> status(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) {
                    return Optional.of(line.substring(field.length() + 1).trim());
                }
            }
        } catch (IOException e) {
            // gone
        }
        return Optional.empty();
    }

    /** SIGKILLs a pid the test started (if still alive) and waits up to 10 s until it is gone. */
    public static void killAndWait(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        waitGone(pid, Duration.ofSeconds(10));
    }

    /** Waits until the pid is gone or a zombie; returns whether it is. */
    public static boolean waitGone(long pid, Duration timeout) {
        return eventually(timeout, () -> !alive(pid));
    }

    /**
     * Test clean-up for daemons started through pidfiles: stops each with the CLI (which also
     * removes the pidfile), then SIGKILLs and waits for every pid the test recorded.
     */
    public static void stopAll(List<Path> pidfiles, List<Long> pids) throws IOException, InterruptedException {
        for (Path p : pidfiles) {
            readPid(p).ifPresent(pids::add);
            if (Files.exists(p)) {
                Cli.run("stop", "--pidfile", p.toString(), "--timeout", "5s");
            }
        }
        pids.forEach(Processes::killAndWait);
    }

    /** A loopback port that was free a moment ago (bind 0, close): for servers a test starts. */
    public static int freeLoopbackPort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Reads a pidfile's pid, if the file exists and holds one. */
    public static Optional<Long> readPid(Path pidfile) {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidfile).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Polls until the condition holds or the timeout passes; returns whether it held. */
    public static boolean eventually(Duration timeout, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }

    /** Whether util-linux setpriv is in PATH. */
    public static boolean hasSetpriv() {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "setpriv"))) {
                return true;
            }
        }
        return false;
    }
}
