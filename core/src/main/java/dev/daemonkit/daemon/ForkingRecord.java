package dev.daemonkit.daemon;

import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What {@code start --forking} learnt about a program that daemonizes itself and writes its own
 * pidfile (nginx, redis with daemonize yes): no daemonkit process holds a lock for it, so the
 * launcher, having verified the pid was its own descendant, records the daemon's identity next to
 * the pidfile — {@code P.daemonkit}, owned by the launcher's user, in a directory no other user can
 * add files to — as pid, start time and boot.
 * A pid together with its start time in one boot names one process forever, so status, stop and
 * reload find the daemon from this record without trusting the pidfile's text (which the daemon,
 * perhaps running as another user, may rewrite).
 */
final class ForkingRecord {
    private ForkingRecord() {
    }

    /** {@code P.daemonkit} next to the pidfile P. */
    static Path pathFor(Path pidfile) {
        return SideFile.beside(pidfile, "daemonkit");
    }

    /**
     * Refuses a pidfile whose directory another user could change: there a file of root's whose
     * text that user chose (the program's log, its STATUS= note) could be renamed to
     * {@code P.daemonkit} and name any process as the daemon — root's own included.
     *
     * @throws PidfileException (bad input: nothing is started) naming the directory and a way out
     */
    static void checkDirectory(Path pidfile) throws IOException {
        PathWalk.Dir dir;
        try {
            dir = PathWalk.parentOf(pidfile);
        } catch (IOException e) {
            throw PidfileException.notAPidfile(e.getMessage());
        }
        if (dir.othersCanAddFiles()) {
            throw PidfileException.notAPidfile("--forking keeps the daemon's identity in " + pathFor(pidfile).getFileName()
                    + " beside the pidfile, and another user can add files to " + dir.path() + " (not owned by root or"
                    + " you, or group/other-writable - sticky /tmp included), so it could forge that record: give the"
                    + " program a pidfile in a directory only root or you can write, e.g. /run/NAME.pid");
        }
    }

    /**
     * Records {@code pid} (a live process) for the pidfile: written to a new file beside it, then
     * renamed over the old record, so a reader never sees half of one.
     */
    static void write(Path pidfile, int pid) throws IOException {
        ProcessInfo p = ProcessTable.of(pid).orElseThrow(() -> new IOException("pid " + pid + " is gone"));
        String text = "pid=" + pid + " start=" + p.startTime().toEpochMilli() + " boot=" + bootId() + "\n";
        SideFile.replace(pathFor(pidfile), text.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * The recorded pid, if the record is trustworthy (a regular file owned by root or the caller)
     * and that pid is still the very process recorded (same start time, same boot).
     */
    static OptionalInt livePid(Path pidfile) {
        try {
            if (SideFile.certainlyAbsent(pathFor(pidfile))) {
                return OptionalInt.empty(); // the common case, asked without a downcall (quick commands)
            }
            if (PathWalk.parentOf(pidfile).othersCanAddFiles()) {
                return OptionalInt.empty(); // a record there could be forged (see checkDirectory)
            }
            Optional<byte[]> content = SideFile.read(pathFor(pidfile), 256);
            if (content.isEmpty()) {
                return OptionalInt.empty();
            }
            String[] f = new String(content.get(), StandardCharsets.US_ASCII).trim().split(" ");
            if (f.length != 3 || !f[0].startsWith("pid=") || !f[1].startsWith("start=") || !f[2].startsWith("boot=")
                    || !f[2].substring(5).equals(bootId())) {
                return OptionalInt.empty();
            }
            int pid = Integer.parseInt(f[0].substring(4));
            long start = Long.parseLong(f[1].substring(6));
            return ProcessTable.of(pid).filter(p -> !p.isZombie() && p.startTime().toEpochMilli() == start)
                    .map(p -> OptionalInt.of(pid)).orElse(OptionalInt.empty());
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }

    /** Whether a record exists at all (trusted or not). */
    static boolean exists(Path pidfile) {
        return Files.exists(pathFor(pidfile), java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    /** Removes the record (when its daemon was stopped, or is gone). */
    static void remove(Path pidfile) {
        SideFile.remove(pathFor(pidfile));
    }

    private static String bootId() throws IOException {
        try (var in = Files.newInputStream(Path.of("/proc/sys/kernel/random/boot_id"))) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        }
    }
}
