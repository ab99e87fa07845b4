package dev.daemonkit.process;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.FileActions;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a child does with its descriptors between posix_spawn and exec: stdio as redirected, the
 * passed descriptors at their numbers, every other descriptor of the JVM closed, then the
 * working directory.
 *
 * @param passedFds child fd number → parent descriptor number
 * @param dir       absolute working directory, or null
 */
record ChildFiles(Redirect stdin, Redirect stdout, Redirect stderr, boolean mergeStderr, Map<Integer, Integer> passedFds,
        String dir) {

    /**
     * Adds every action to {@code fa}. Our ends of pipes go into {@code parentEnds}; descriptors to
     * close in the parent after the spawn (child ends, temporary duplicates) into {@code closeInParent}.
     */
    void add(FileActions fa, Fd[] parentEnds, List<Fd> closeInParent) throws PosixException {
        parentEnds[0] = addStdio(fa, 0, stdin, closeInParent);
        parentEnds[1] = addStdio(fa, 1, stdout, closeInParent);
        if (mergeStderr) {
            fa.addDup2(1, 2);
        } else {
            parentEnds[2] = addStdio(fa, 2, stderr, closeInParent);
        }
        int maxChildFd = 2;
        for (int childFd : passedFds.keySet()) {
            maxChildFd = Math.max(maxChildFd, childFd);
        }
        // Duplicate passed fds above every target number first, so one mapping can never
        // clobber the source of another; dup2 then clears close-on-exec on the target.
        for (Map.Entry<Integer, Integer> p : passedFds.entrySet()) {
            Fd tmp = PosixFiles.dupAbove(Fd.borrow(p.getValue()), maxChildFd + 1);
            closeInParent.add(tmp);
            fa.addDup2(tmp.number(), p.getKey());
        }
        // Below the highest target, close what is not a target (an fd of ours without
        // close-on-exec would leak otherwise); above it, closefrom does the rest.
        for (int fd = 3; fd < maxChildFd; fd++) {
            if (!passedFds.containsKey(fd)) {
                fa.addClose(fd);
            }
        }
        if (FileActions.canCloseFrom()) {
            fa.addCloseFrom(maxChildFd + 1);
        }
        if (dir != null) {
            fa.addChdir(dir);
        }
    }

    /** For a shared, cached object: the same actions, which must create no descriptor. */
    void addFixed(FileActions fa) throws PosixException {
        List<Fd> none = new ArrayList<>();
        add(fa, new Fd[3], none);
        if (!none.isEmpty()) {
            none.forEach(Fd::close);
            throw new IllegalStateException("fixed file actions created descriptors " + none);
        }
    }

    /** Adds the file action for one std fd; returns our end of a pipe, or null. */
    private static Fd addStdio(FileActions fa, int fd, Redirect r, List<Fd> closeInParent) throws PosixException {
        switch (r) {
            case Redirect.Inherit i -> {
                return null;
            }
            case Redirect.Fd f -> {
                // For f.fd() == fd glibc (>= 2.29) clears FD_CLOEXEC instead of a no-op dup2.
                fa.addDup2(f.fd(), fd);
                return null;
            }
            case Redirect.ToFile t -> {
                int flags = fd == 0 ? PosixFiles.O_RDONLY
                        : PosixFiles.O_WRONLY | PosixFiles.O_CREAT | (t.append() ? PosixFiles.O_APPEND : PosixFiles.O_TRUNC);
                fa.addOpen(fd, t.file().toAbsolutePath().toString(), flags, 0644);
                return null;
            }
            case Redirect.Pipe p -> {
                PosixFiles.Pipe pipe = PosixFiles.pipe();
                Fd childEnd = fd == 0 ? pipe.readEnd() : pipe.writeEnd();
                closeInParent.add(childEnd);
                fa.addDup2(childEnd.number(), fd);
                return fd == 0 ? pipe.writeEnd() : pipe.readEnd();
            }
        }
    }
}
