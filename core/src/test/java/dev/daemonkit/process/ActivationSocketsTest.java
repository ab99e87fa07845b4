package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The providing side of socket activation: fds 3.., LISTEN_FDS/FDNAMES, and LISTEN_PID = the child's own pid. */
class ActivationSocketsTest {
    @Test
    void ownPidVariablesHoldTheChildsPidThroughTheExecTrampoline() throws Exception {
        try (ChildProcess c = Spawn.of("sh", "-c", "echo $LISTEN_PID $WATCHDOG_PID $$").ownPidVariables("LISTEN_PID",
                "WATCHDOG_PID").stdout(Redirect.PIPE).start()) {
            String[] f = new String(c.stdout().readAllBytes(), StandardCharsets.US_ASCII).trim().split(" ");
            c.waitFor();
            assertEquals(3, f.length, String.join(" ", f));
            assertEquals(Integer.toString(c.pid()), f[2], "the program runs in the spawned process");
            assertEquals(f[2], f[0]);
            assertEquals(f[2], f[1]);
        }
        assertThrows(IllegalArgumentException.class,
                () -> Spawn.of("true").ownPidVariables("A;rm -rf /").start(), "names are checked, not pasted into sh");
    }

    @Test
    void socketsArePassedInOrderWithTheirNamesAndKeptWhileTheObjectLives() throws Exception {
        try (ActivationSockets s = ActivationSockets.bind(List.of(ListenAddress.parse("web=127.0.0.1:0"),
                ListenAddress.parse("127.0.0.1:0")))) {
            assertEquals(2, s.count());
            String script = "echo $LISTEN_FDS $LISTEN_FDNAMES $((LISTEN_PID == $$)); readlink /proc/$$/fd/3 /proc/$$/fd/4";
            for (int run = 0; run < 2; run++) { // a second program gets the very same sockets
                try (ChildProcess c = s.passTo(Spawn.of("sh", "-c", script)).stdout(Redirect.PIPE).start()) {
                    List<String> lines = new String(c.stdout().readAllBytes(), StandardCharsets.US_ASCII).lines().toList();
                    c.waitFor();
                    assertEquals("2 web:unknown 1", lines.get(0));
                    assertTrue(lines.get(1).startsWith("socket:["), lines.toString());
                    assertTrue(lines.get(2).startsWith("socket:["), lines.toString());
                }
            }
            try (java.net.Socket client = new java.net.Socket("127.0.0.1", s.ports().get(0))) {
                assertTrue(client.isConnected(), "still listening after both programs ended");
            }
            int taken = s.ports().get(0);
            IOException e = assertThrows(IOException.class,
                    () -> ActivationSockets.bind(List.of(ListenAddress.parse("again=127.0.0.1:" + taken))));
            assertTrue(e.getMessage().startsWith("cannot listen on again=127.0.0.1:" + taken), e.getMessage());
        }
    }
}
