package dev.daemonkit.process;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One process as /proc shows it: {@code /proc/PID/stat}, {@code status} and {@code cmdline}.
 *
 * @param pid       process id
 * @param ppid      parent's pid (0 for init and kernel threads' root)
 * @param pgid      process group
 * @param sid       session
 * @param ttyNr     controlling terminal as the kernel encodes it (0: none)
 * @param state     one letter: R running, S sleeping, D disk sleep, Z zombie, T stopped,
 *                  t traced, X dead, I idle kernel thread
 * @param startTime when it started (boot time + starttime clock ticks)
 * @param uid       real user id; -1 when the process vanished before its status could be read
 * @param comm      the executable's short name (15 bytes at most)
 * @param cmdline   the arguments; empty for zombies and kernel threads
 */
public record ProcessInfo(int pid, int ppid, int pgid, int sid, int ttyNr, char state, Instant startTime, int uid,
        String comm, List<String> cmdline) {

    /** Whether the process is a zombie: dead, waiting for its parent to collect its status. */
    public boolean isZombie() {
        return state == 'Z';
    }

    /** The state letter's meaning, as ps(1) documents it. */
    public String stateDescription() {
        return switch (state) {
            case 'R' -> "running";
            case 'S' -> "sleeping";
            case 'D' -> "uninterruptible sleep";
            case 'Z' -> "zombie";
            case 'T' -> "stopped";
            case 't' -> "traced";
            case 'X', 'x' -> "dead";
            case 'I' -> "idle";
            case 'P' -> "parked";
            default -> "unknown";
        };
    }

    /** The command line joined with spaces, or {@code [comm]} like ps(1) when there is none. */
    public String commandText() {
        return cmdline.isEmpty() ? "[" + comm + "]" : String.join(" ", cmdline);
    }

    /** How long it has been running. */
    public Duration uptime() {
        return Duration.between(startTime, Instant.now());
    }

    /** The controlling terminal as a name (pts/3, tty1), or "?" for none. */
    public String ttyName() {
        if (ttyNr == 0) {
            return "?";
        }
        int major = (ttyNr >> 8) & 0xfff;
        int minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
        return switch (major) {
            case 136, 137, 138, 139, 140, 141, 142, 143 -> "pts/" + ((major - 136) * 256 + minor);
            case 4 -> minor < 64 ? "tty" + minor : "ttyS" + (minor - 64);
            default -> major + ":" + minor;
        };
    }
}
