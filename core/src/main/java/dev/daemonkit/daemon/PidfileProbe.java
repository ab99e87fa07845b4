package dev.daemonkit.daemon;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.FileStat;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.process.FileLocks;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * Looks at a pidfile without taking its lock: opened once (O_NOFOLLOW, O_NONBLOCK — a FIFO
 * cannot hang us), described through that descriptor (a regular file, owned by root or the
 * caller, small), read, and its lock holders found in /proc. Every later decision uses this one
 * snapshot and the file's identity (device and inode), never the path again.
 */
final class PidfileProbe {
    private PidfileProbe() {
    }

    /** Larger than any pid with a newline: a bigger file is not a pidfile. */
    static final int MAX_SIZE = 64;
    /** The kernel's PID_MAX_LIMIT: no pid is larger. */
    static final int PID_LIMIT = 4_194_304;

    /** What is at the path. */
    sealed interface Finding {
    }

    /** Nothing. */
    record Missing() implements Finding {
    }

    /** Something that is not a pidfile (a directory, FIFO, symlink, config file...): bad input. */
    record NotAPidfile(String reason) implements Finding {
    }

    /** A pidfile that must not be trusted (another user's) or cannot be read. */
    record Untrusted(String reason) implements Finding {
    }

    /** A regular pidfile: its identity, what it says, and its lock. */
    record Regular(FileStat file, Content content, FileLocks.Lock lock) implements Finding {
    }

    /**
     * The text of a pidfile.
     *
     * @param pid  the pid it names, if it names one
     * @param text what it holds, shortened, for messages
     */
    record Content(OptionalInt pid, String text) {
        boolean isEmpty() {
            return text.isBlank();
        }

        boolean isGarbage() {
            return pid.isEmpty() && !isEmpty();
        }
    }

    /**
     * Inspects the path.
     *
     * @param allHolders find every process holding the lock (for stop), not only the first
     */
    static Finding inspect(Path path, boolean allHolders) {
        // A start or stop may replace the file between our lstat and our open: look again.
        for (int attempt = 0; attempt < 5; attempt++) {
            Finding f = inspectOnce(path, allHolders);
            if (f != null) {
                return f;
            }
        }
        return new NotAPidfile(path + " kept changing while being read");
    }

    /** One look; null when the file at the path changed between lstat and open (looked at again). */
    private static Finding inspectOnce(Path path, boolean allHolders) {
        if (SideFile.certainlyAbsent(path)) {
            return new Missing();
        }
        try {
            PathWalk.parentOf(path); // a link another user planted on the way: not this pidfile
        } catch (IOException e) {
            return new NotAPidfile(path + ": " + e.getMessage());
        }
        FileStat seen;
        try {
            seen = PosixFiles.lstat(path);
        } catch (PosixException e) {
            return e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR ? new Missing()
                    : new Untrusted("cannot look at " + path + ": " + e.getMessage());
        }
        if (!seen.isRegular()) {
            return new NotAPidfile(path + " is " + seen.type().description() + ", not a pidfile");
        }
        try (Fd fd = PosixFiles.open(path, PosixFiles.O_RDONLY | PosixFiles.O_NOFOLLOW | PosixFiles.O_NONBLOCK | PosixFiles.O_CLOEXEC
                | PosixFiles.O_NOCTTY, 0)) {
            FileStat st = PosixFiles.fstat(fd);
            if (!st.isRegular()) {
                return new NotAPidfile(path + " is " + st.type().description() + ", not a pidfile");
            }
            if (!st.sameFile(seen)) {
                return null;
            }
            String why = untrustedOwner(path, st);
            if (why != null) {
                return new Untrusted(why);
            }
            if (st.size() > MAX_SIZE) {
                return new NotAPidfile(path + " is " + st.size() + " bytes, too large for a pidfile");
            }
            Content content = parse(PosixFiles.read(fd, MAX_SIZE + 1));
            List<Integer> candidates = content.pid().isPresent() ? List.of(content.pid().getAsInt()) : List.of();
            return new Regular(st, content, FileLocks.holders(st, candidates, allHolders));
        } catch (PosixException e) {
            return switch (e.errno()) {
                case ENOENT -> new Missing();
                case ELOOP -> new NotAPidfile(path + " is a symbolic link; daemonkit does not follow links for pidfiles");
                case EACCES, EPERM -> new Untrusted("cannot read " + path + ": " + e.getMessage());
                case null, default -> new Untrusted("cannot read " + path + ": " + e.getMessage());
            };
        }
    }

    /** Why a file's owner disqualifies it (another non-root user could have written any pid), or null. */
    static String untrustedOwner(Path path, FileStat st) {
        int me = Posix.geteuid();
        if (st.uid() != 0 && st.uid() != me) {
            return path + " is owned by uid " + st.uid() + ", neither root nor you (uid " + me
                    + "): another user could have written any pid into it";
        }
        return null;
    }

    /** A pid alone on its line, as daemons write it; anything else is not a pid. */
    static Content parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.US_ASCII);
        String t = text.strip();
        String shown = t.length() > 20 ? t.substring(0, 20) + "..." : t;
        shown = shown.replaceAll("[^\\x20-\\x7e]", "?");
        if (t.isEmpty() || t.length() > 10 || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return new Content(OptionalInt.empty(), shown);
        }
        long pid = Long.parseLong(t);
        return pid >= 1 && pid <= PID_LIMIT ? new Content(OptionalInt.of((int) pid), shown)
                : new Content(OptionalInt.empty(), shown);
    }
}
