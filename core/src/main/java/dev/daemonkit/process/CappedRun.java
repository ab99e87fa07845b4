package dev.daemonkit.process;

import dev.daemonkit.posix.WaitStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * How a command fared in a {@link PidsSandbox}: what the kernel refused it, and how it ended.
 *
 * @param command    the command as given
 * @param max        the sandbox's pids.max
 * @param refused    forks and thread creations refused because pids.max was reached (pids.events "max")
 * @param peak       the most tasks it had at once (pids.peak), where the kernel reports it
 * @param status     how the command itself ended
 * @param leftKilled processes it left running in the cgroup, killed afterwards
 * @param cgroup     the sandbox's directory (removed by now)
 */
public record CappedRun(List<String> command, long max, long refused, OptionalLong peak, WaitStatus status,
        int leftKilled, Path cgroup) {

    /** Readable lines for a terminal. */
    public List<String> describe() {
        List<String> l = new ArrayList<>();
        l.add("pids.max " + max + ": the kernel refused " + refused + " fork" + (refused == 1 ? "" : "s")
                + " or thread creation" + (refused == 1 ? "" : "s") + " (pids.events max)"
                + (peak.isPresent() ? ", peak " + peak.getAsLong() + " task" + (peak.getAsLong() == 1 ? "" : "s") : ""));
        l.add(command.getFirst() + ": " + statusText());
        l.add((leftKilled == 0 ? "nothing left running" : leftKilled + " process" + (leftKilled == 1 ? "" : "es")
                + " left running, killed") + "; removed " + cgroup);
        return l;
    }

    private String statusText() {
        return switch (status) {
            case WaitStatus.Exited e -> "exited with code " + e.code();
            case WaitStatus.Signaled s -> "killed by " + s.signalName() + (s.coreDumped() ? " (core dumped)" : "");
            default -> status.toString();
        };
    }

    /** Everything as one JSON object. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("command", command);
        m.put("pids_max", max);
        m.put("refused", refused);
        m.put("peak", peak);
        m.put("exit_status", status.shellExitCode());
        m.put("exit_code", status instanceof WaitStatus.Exited e ? (Object) e.code() : null);
        m.put("signal", status instanceof WaitStatus.Signaled s ? s.signalName() : null);
        m.put("left_running_killed", leftKilled);
        m.put("cgroup", cgroup.toString());
        return Json.write(m);
    }
}
