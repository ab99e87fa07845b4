package dev.daemonkit.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What the user states a process must be before daemonkit signals it through a pidfile that
 * daemonkit did not lock — as start-stop-daemon's {@code --exec} and {@code --user} do: the
 * program it runs (compared by device and inode with /proc/PID/exe, so a symlinked or relative
 * spelling of the same binary matches) and the user it runs as (real or effective uid).
 *
 * <p>A script's /proc/PID/exe is its interpreter ({@code /bin/sh}), as with start-stop-daemon:
 * state {@code --user} for scripts, or the interpreter.
 *
 * @param executable the program the process must run, if stated
 * @param uid        the user it must run as, if stated
 * @param userName   the user as given, for messages
 */
public record Identity(Optional<Path> executable, OptionalInt uid, Optional<String> userName) {

    /** Nothing stated. */
    public static Identity none() {
        return new Identity(Optional.empty(), OptionalInt.empty(), Optional.empty());
    }

    /** An identity from {@code --exec PATH} and/or {@code --user NAME} (either may be null). */
    public static Identity of(Path executable, Privileges.Account user) {
        return new Identity(Optional.ofNullable(executable).map(Path::toAbsolutePath),
                user == null ? OptionalInt.empty() : OptionalInt.of(user.uid()),
                Optional.ofNullable(user).map(Privileges.Account::user));
    }

    /** Whether anything was stated. */
    public boolean isStated() {
        return executable.isPresent() || uid.isPresent();
    }

    /** "--exec /usr/sbin/nginx --user www-data", for messages. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        executable.ifPresent(e -> sb.append("--exec ").append(e));
        userName.ifPresent(u -> sb.append(sb.isEmpty() ? "" : " ").append("--user ").append(u));
        return sb.toString();
    }

    /**
     * Checks a live process against what was stated.
     *
     * @return empty when it matches (or nothing was stated), else why not
     */
    public Optional<String> mismatch(int pid) {
        if (executable.isPresent()) {
            Path exe = Path.of("/proc", Integer.toString(pid), "exe");
            try {
                if (!Files.isSameFile(exe, executable.get())) {
                    return Optional.of("pid " + pid + " runs " + readLink(exe) + ", not " + executable.get());
                }
            } catch (IOException e) {
                return Optional.of("cannot tell what pid " + pid + " runs (" + e.getMessage()
                        + "): another user's process needs root to be checked");
            }
        }
        if (uid.isPresent()) {
            int[] ids = uids(pid);
            if (ids == null) {
                return Optional.of("pid " + pid + " is gone");
            }
            if (ids[0] != uid.getAsInt() && ids[1] != uid.getAsInt()) {
                return Optional.of("pid " + pid + " runs as uid " + ids[1] + ", not as " + userName.orElse("")
                        + " (uid " + uid.getAsInt() + ")");
            }
        }
        return Optional.empty();
    }

    private static String readLink(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException e) {
            return "?";
        }
    }

    /** {real, effective} uid from /proc/PID/status, or null when the process is gone. */
    private static int[] uids(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith("Uid:")) {
                    String[] f = line.substring(4).trim().split("\\s+");
                    return new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1])};
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return null;
    }
}
