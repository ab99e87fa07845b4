package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.testkit.Cli;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Own-all-children reaping (PID 1, subreaper) next to {@link ProcessBuilder}: the JDK reaps its
 * children with wait4(pid) and reports exit value 0 when someone else reaped one first. Runs in a
 * JVM of its own (a subreaper JVM; own-all mode cannot be switched off). The goal, 10,000
 * children: about 20 s on two loaded cores.
 */
class ProcessBuilderCoexistenceTest {

    private static Map<String, Integer> run(int n, String mode) throws Exception {
        Cli.Result r = Cli.exec(new ProcessBuilder(Cli.javaCommand("dev.daemonkit.testing.ProcessBuilderAmongOrphans",
                Integer.toString(n), mode)), java.time.Duration.ofMinutes(4));
        assertEquals(0, r.exitCode(), r.all());
        Map<String, Integer> m = new HashMap<>();
        for (String kv : r.stdout().trim().split(" ")) {
            String[] p = kv.split("=");
            m.put(p[0], Integer.parseInt(p[1]));
        }
        return m;
    }

    @Test
    void processBuilderKeepsItsExitValuesWhileOrphansAreReaped() throws Exception {
        Map<String, Integer> m = run(10_000, "reaper");
        assertEquals(0, m.get("wrong"), "ProcessBuilder exit values taken by the reaper: " + m);
        assertTrue(m.get("orphans") > 0, "no orphan was reaped, so nothing was tested: " + m);
        assertEquals(0, m.get("zombies"), "zombies left: " + m);
    }

    @Test
    void waitpidMinusOneWouldStealThem() throws Exception {
        // The control: the same load with a tini-style waitpid(-1) thread gets wrong values,
        // so the test above can see the fault it guards against.
        Map<String, Integer> m = run(300, "naive");
        assertTrue(m.get("wrong") > 0, "waitpid(-1) took no ProcessBuilder status; the load does not race: " + m);
    }
}
