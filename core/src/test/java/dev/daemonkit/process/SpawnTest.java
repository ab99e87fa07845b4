package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.SignalDisposition;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.testkit.Processes;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spawning API against real processes: statuses, stdio, environment, sessions, fds, reaping. */
class SpawnTest {
    @TempDir
    Path dir;

    private static String out(ChildProcess c) throws Exception {
        String s = new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8);
        c.waitFor();
        return s;
    }

    @Test
    void deathBySignalIsReportedAsSuch() throws Exception {
        try (ChildProcess c = Spawn.of("sleep", "30").start()) {
            c.signal(Signal.SIGKILL);
            WaitStatus s = c.waitFor();
            assertEquals(new WaitStatus.Signaled(c.pid(), Signal.SIGKILL.number(), false), s);
            assertEquals(137, s.shellExitCode());
        }
    }

    @Test
    void stderrSeparateOrMerged() throws Exception {
        try (ChildProcess c = Spawn.of("sh", "-c", "echo out; echo err >&2").stdout(Redirect.PIPE).stderr(Redirect.PIPE).start()) {
            assertEquals("err\n", new String(c.stderr().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals("out\n", out(c));
        }
        try (ChildProcess c = Spawn.of("sh", "-c", "echo out; echo err >&2").stdout(Redirect.PIPE).redirectErrorStream(true).start()) {
            assertEquals("out\nerr\n", out(c));
        }
    }

    @Test
    void fileRedirectsTruncateOrAppend() throws Exception {
        Path f = dir.resolve("o.txt");
        Spawn.of("echo", "one").stdout(Redirect.toFile(f)).start().waitFor();
        Spawn.of("echo", "two").stdout(Redirect.appendTo(f)).start().waitFor();
        assertEquals("one\ntwo\n", Files.readString(f));
        Spawn.of("echo", "three").stdout(Redirect.toFile(f)).start().waitFor();
        assertEquals("three\n", Files.readString(f));
        try (ChildProcess c = Spawn.of("cat").stdin(Redirect.toFile(f)).stdout(Redirect.PIPE).start()) {
            assertEquals("three\n", out(c));
        }
    }

    @Test
    void environmentAndDirectory() throws Exception {
        try (ChildProcess c = Spawn.of("sh", "-c", "echo \"$DK_A|${HOME-unset}|$(pwd)\"").env("DK_A", "x y")
                .directory(dir).stdout(Redirect.PIPE).start()) {
            assertEquals("x y|" + System.getenv("HOME") + "|" + dir.toRealPath() + "\n", out(c));
        }
        Spawn cleared = Spawn.of("/usr/bin/env").clearEnvironment().env("ONLY", "1").stdout(Redirect.PIPE);
        try (ChildProcess c = cleared.start()) {
            assertEquals("ONLY=1\n", out(c));
        }
        Spawn removed = Spawn.of("sh", "-c", "echo ${HOME-unset}").stdout(Redirect.PIPE);
        removed.environment().remove("HOME");
        try (ChildProcess c = removed.start()) {
            assertEquals("unset\n", out(c));
        }
    }

    @Test
    void newSessionAndNewGroup() throws Exception {
        try (ChildProcess c = Spawn.of("sleep", "10").newSession().start()) {
            ProcessInfo p = ProcessTable.of(c.pid()).orElseThrow();
            assertEquals(c.pid(), p.sid());
            assertEquals(c.pid(), p.pgid());
            c.signal(Signal.SIGTERM);
            c.waitFor();
        }
        try (ChildProcess c = Spawn.of("sleep", "10").newProcessGroup().start()) {
            ProcessInfo p = ProcessTable.of(c.pid()).orElseThrow();
            assertEquals(c.pid(), p.pgid());
            assertEquals(Posix.getsid(0), p.sid());
            c.signalGroup(Signal.SIGTERM);
            assertTrue(c.waitFor() instanceof WaitStatus.Signaled);
        }
    }

    @Test
    void ignoredSignalsOfTheJvmDoNotLeakIntoTheChild() throws Exception {
        SignalDisposition before = Posix.signalDisposition(Signal.SIGINT);
        Posix.sigaction(Signal.SIGINT, SignalDisposition.IGNORE);
        try {
            try (ChildProcess c = Spawn.of("grep", "SigIgn", "/proc/self/status").stdout(Redirect.PIPE).start()) {
                long ign = Long.parseLong(out(c).split(":")[1].trim(), 16);
                assertEquals(0, ign & (1L << (Signal.SIGINT.number() - 1)), "SIGINT is not ignored in the child");
            }
            try (ChildProcess c = Spawn.of("grep", "SigIgn", "/proc/self/status").keepIgnored(Set.of(Signal.SIGINT))
                    .stdout(Redirect.PIPE).start()) {
                long ign = Long.parseLong(out(c).split(":")[1].trim(), 16);
                assertTrue((ign & (1L << (Signal.SIGINT.number() - 1))) != 0, "kept on request");
            }
            try (ChildProcess c = Spawn.of("grep", "SigBlk", "/proc/self/status").stdout(Redirect.PIPE).start()) {
                assertEquals(0, Long.parseLong(out(c).split(":")[1].trim(), 16), "empty signal mask");
            }
        } finally {
            Posix.sigaction(Signal.SIGINT, before);
        }
    }

    @Test
    void childGetsOnlyStdioAndPassedFds() throws Exception {
        List<InputStream> open = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                open.add(new FileInputStream("/proc/self/stat")); // close-on-exec? the JDK's are; ours must not matter
            }
            PosixFiles.Pipe extra = PosixFiles.pipe();
            PosixFiles.setCloseOnExec(extra.readEnd(), false); // even a leaky fd must not reach the child
            try (extra; ChildProcess c = Spawn.of("sleep", "10").passFd(extra.writeEnd().number(), 5).start()) {
                // Right after exec the dynamic loader briefly opens the shared libraries (as fd 3):
                // a leaked descriptor stays, the loader's goes within milliseconds.
                TreeSet<Integer> expected = new TreeSet<>(List.of(0, 1, 2, 5));
                TreeSet<Integer> fds = openFds(c.pid());
                for (int i = 0; i < 100 && !fds.equals(expected); i++) {
                    Thread.sleep(10);
                    fds = openFds(c.pid());
                }
                assertEquals(expected, fds);
                c.signal(Signal.SIGKILL);
                c.waitFor();
            }
        } finally {
            for (InputStream in : open) {
                in.close();
            }
        }
    }

    private static TreeSet<Integer> openFds(int pid) throws IOException {
        TreeSet<Integer> fds = new TreeSet<>();
        try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            list.forEach(p -> fds.add(Integer.parseInt(p.getFileName().toString())));
        }
        return fds;
    }

    @Test
    void exactErrorsLeaveNothingBehind() throws Exception {
        Path notExec = Files.writeString(dir.resolve("script.sh"), "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(notExec, PosixFilePermissions.fromString("rw-r--r--"));
        PosixException e = assertThrows(PosixException.class, () -> Spawn.of(notExec.toString()).start());
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.getMessage().contains(notExec.toString()), e.getMessage());
        Path missingDir = dir.resolve("missing");
        PosixException d = assertThrows(PosixException.class, () -> Spawn.of("true").directory(missingDir).start());
        assertTrue(d.getMessage().contains(missingDir.toString()), d.getMessage());
        assertEquals(0, ProcessTable.children(Posix.getpid()).stream()
                .filter(p -> p.comm().equals("true") || p.comm().equals("script.sh")).count());
    }

    @Test
    void aThousandSpawnReapCyclesLeaveNoZombie() throws Exception {
        Spawn t = Spawn.of("/bin/true").stdin(Redirect.NULL).stdout(Redirect.NULL).stderr(Redirect.NULL);
        for (int i = 0; i < 1000; i++) {
            try (ChildProcess c = t.start()) {
                assertEquals(new WaitStatus.Exited(c.pid(), 0), c.waitFor());
            }
        }
        assertEquals(List.of(), ProcessTable.zombiesOf(Posix.getpid()));
        assertEquals(0, Reaper.liveChildren());
    }

    @Test
    void coexistsWithProcessBuilder() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<List<Integer>> jdk = pool.submit(() -> {
                List<Integer> codes = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    codes.add(new ProcessBuilder("sh", "-c", "exit 7").start().waitFor());
                }
                return codes;
            });
            Future<List<WaitStatus>> ours = pool.submit(() -> {
                List<WaitStatus> st = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    try (ChildProcess c = Spawn.of("sh", "-c", "exit 9").start()) {
                        st.add(c.waitFor());
                    }
                }
                return st;
            });
            assertTrue(jdk.get().stream().allMatch(c -> c == 7), "ProcessBuilder exit codes: " + jdk.get());
            assertTrue(ours.get().stream().allMatch(s -> s.shellExitCode() == 9), "ours: " + ours.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void signalAfterReapIsEsrchAndNeverHitsARecycledPid() throws Exception {
        ChildProcess c = Spawn.of("true").start();
        c.waitFor();
        PosixException e = assertThrows(PosixException.class, () -> c.signal(Signal.SIGTERM));
        assertEquals(Errno.ESRCH, e.errno());
        c.close();
        assertThrows(PosixException.class, () -> c.signal(Signal.SIGTERM));
    }

    @Test
    void pollOnExitAndProcessHandle() throws Exception {
        try (ChildProcess c = Spawn.of("sleep", "10").start()) {
            assertTrue(c.poll().isEmpty());
            assertTrue(c.isAlive());
            assertEquals(c.pid(), c.toProcessHandle().orElseThrow().pid());
            assertTrue(c.pidfd().isPresent());
            assertTrue(c.waitFor(Duration.ofMillis(50)).isEmpty());
            c.signal(Signal.SIGTERM);
            WaitStatus s = c.onExit().get();
            assertEquals(Signal.SIGTERM.number(), ((WaitStatus.Signaled) s).signo());
            assertEquals(s, c.poll().orElseThrow());
            assertFalse(c.isAlive());
            assertFalse(Processes.alive(c.pid()));
        }
    }

    @Test
    void umaskForTheChildOnly() throws Exception {
        int mine = PosixFiles.currentUmask();
        try (ChildProcess c = Spawn.of("sh", "-c", "umask").umask(0077).stdout(Redirect.PIPE).start()) {
            assertEquals("0077\n", out(c));
        }
        assertEquals(mine, PosixFiles.currentUmask());
    }
}
