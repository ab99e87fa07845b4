package dev.daemonkit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A pids cgroup of our own with a limit, that this JVM moves into, so that a zombie experiment
 * can only ever exhaust its own small pid budget, never the machine's. cgroup v1 (a pids
 * hierarchy) or v2 (unified, with the pids controller enabled). {@link #close()} moves the JVM
 * back and removes the cgroup; it must be called with every child reaped.
 */
final class PidsSandbox implements AutoCloseable {
    private final Path dir;
    private final Path parentProcs;
    private final long limit;

    private PidsSandbox(Path dir, Path parentProcs, long limit) {
        this.dir = dir;
        this.parentProcs = parentProcs;
        this.limit = limit;
    }

    /**
     * Creates the cgroup, sets pids.max, moves this process in.
     *
     * @throws IOException with the reason when no pids cgroup can be made (not root, no controller)
     */
    static PidsSandbox create(long limit) throws IOException {
        String name = "daemonkit-zombies-" + ProcessHandle.current().pid();
        Path v1 = Path.of("/sys/fs/cgroup/pids");
        Path v2 = Path.of("/sys/fs/cgroup");
        Path base;
        if (Files.isWritable(v1.resolve("cgroup.procs"))) {
            base = v1;
        } else if (Files.exists(v2.resolve("cgroup.controllers"))
                && Files.readString(v2.resolve("cgroup.subtree_control")).contains("pids")
                && Files.isWritable(v2.resolve("cgroup.procs"))) {
            base = v2;
        } else {
            throw new IOException("no writable pids cgroup (need root and a pids controller: /sys/fs/cgroup/pids "
                    + "for v1, or 'pids' in /sys/fs/cgroup/cgroup.subtree_control for v2); refusing to run a "
                    + "zombie experiment without a pids limit of its own");
        }
        Path dir = base.resolve(name);
        Files.createDirectory(dir);
        PidsSandbox sb = new PidsSandbox(dir, base.resolve("cgroup.procs"), limit);
        try {
            Files.writeString(dir.resolve("pids.max"), Long.toString(limit));
            Files.writeString(dir.resolve("cgroup.procs"), Long.toString(ProcessHandle.current().pid()));
        } catch (IOException e) {
            sb.close();
            throw e;
        }
        return sb;
    }

    long limit() {
        return limit;
    }

    /** Tasks (threads and processes, zombies included) charged to the cgroup now. */
    long current() throws IOException {
        return Long.parseLong(Files.readString(dir.resolve("pids.current")).trim());
    }

    Path path() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        if (!Files.exists(dir)) {
            return; // closed already
        }
        Files.writeString(parentProcs, Long.toString(ProcessHandle.current().pid()));
        for (int i = 0; i < 50; i++) {
            try {
                Files.delete(dir);
                return;
            } catch (IOException busy) {
                // zombies still being released
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        Files.delete(dir);
    }
}
