package dev.daemonkit.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The last STATUS= a program sent before READY=1 under {@code start --notify}, kept beside its
 * pidfile as {@code P.status} for {@code status} to show. The launcher writes it (the program
 * never gets a descriptor of it); it is only ever displayed, stripped of control characters, and
 * never used to find or identify the daemon.
 */
public final class StatusNote {
    private static final int MAX = 1024;

    private StatusNote() {
    }

    static Path pathFor(Path pidfile) {
        return SideFile.beside(pidfile, "status");
    }

    /** Records the status, or removes an old note when there is none. */
    static void write(Path pidfile, Optional<String> status) throws IOException {
        if (status.isEmpty()) {
            remove(pidfile);
            return;
        }
        String s = status.get();
        byte[] b = (s.length() > MAX / 4 ? s.substring(0, MAX / 4) : s).getBytes(StandardCharsets.UTF_8);
        SideFile.replace(pathFor(pidfile), b);
    }

    /** The status of the daemon of {@code pidfile}, printable, if a trustworthy note is there. */
    public static Optional<String> read(Path pidfile) {
        return SideFile.read(pathFor(pidfile), MAX).map(b -> Startup.printable(new String(b, StandardCharsets.UTF_8).trim()))
                .filter(s -> !s.isEmpty());
    }

    /** Removes the note (the daemon was stopped). */
    static void remove(Path pidfile) {
        SideFile.remove(pathFor(pidfile));
    }
}
