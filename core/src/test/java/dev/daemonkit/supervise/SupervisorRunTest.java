package dev.daemonkit.supervise;

import static dev.daemonkit.testkit.Processes.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The builder, runUntilDone, and a self-daemonizing program's pidfile awaited off the event thread. */
class SupervisorRunTest {
    @TempDir
    Path dir;

    private final List<Supervisor> started = new ArrayList<>();
    private final List<Long> toKill = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        started.forEach(Supervisor::close);
        toKill.forEach(Processes::killAndWait);
    }

    private Supervisor build(Supervisor.Builder b) throws IOException {
        Supervisor s = b.build();
        started.add(s);
        return s;
    }

    private static ProgramSpec.Builder sh(String name, String script) {
        return ProgramSpec.builder(name, List.of("/bin/sh", "-c", script));
    }

    @Test
    void runUntilDoneReturnsTheProgramsStatusRemappedAsAsked() throws Exception {
        ProgramSpec seven = sh("seven", "exit 7").restart(RestartPolicy.NEVER).startSeconds(Duration.ZERO).build();
        Supervisor plain = build(Supervisor.builder().program(seven).mode(Supervisor.Mode.UNTIL_ALL_DONE));
        AtomicReference<Supervisor.ProcessStatus> atStart = new AtomicReference<>();
        assertEquals(7, plain.runUntilDone(() -> atStart.set(plain.status().get(0))));
        assertTrue(atStart.get().starts() == 1, "started before the callback: " + atStart.get());
        Supervisor remapped = build(Supervisor.builder().program(seven).mode(Supervisor.Mode.UNTIL_ALL_DONE).remapExit(7));
        assertEquals(0, remapped.runUntilDone());
    }

    @Test
    void runUntilDoneFailsWithOneWhenAProgramIsFatal() throws Exception {
        Supervisor s = build(Supervisor.builder().mode(Supervisor.Mode.UNTIL_ALL_DONE)
                .program(sh("doomed", "exit 3").startSeconds(Duration.ofMillis(300)).startRetries(0).build())
                .remapExit(1));
        assertEquals(1, s.runUntilDone(), "FATAL is 1, and --remap-exit only remaps the program's own status");
        assertEquals(ProgramState.FATAL, s.status().get(0).state());
    }

    @Test
    void theBuilderRefusesWhatCannotWork() {
        ProgramSpec a = sh("a", "true").build();
        assertThrows(IllegalArgumentException.class, () -> Supervisor.builder().program(a).program(a));
        assertThrows(IllegalStateException.class, () -> Supervisor.builder().build());
        assertThrows(IllegalArgumentException.class, () -> Supervisor.builder().remapExit(256));
        Path noDir = dir.resolve("missing/sup.sock");
        assertThrows(IOException.class, () -> Supervisor.builder().program(a).controlSocket(noDir).build());
    }

    @Test
    void theControlSocketComesWithTheSupervisorAndGoesWithIt() throws Exception {
        Path sock = dir.resolve("sup.sock");
        Supervisor s = build(Supervisor.builder().controlSocket(sock)
                .program(sh("idle", "exec sleep 30").startSeconds(Duration.ZERO).build()));
        s.start();
        assertTrue(eventually(Duration.ofSeconds(10), () -> s.status().get(0).state() == ProgramState.RUNNING));
        String reply = ControlClient.request(sock, "status");
        assertTrue(reply.startsWith("OK\n") && reply.contains("idle") && reply.contains("RUNNING"), reply);
        s.close();
        assertFalse(Files.exists(sock), "removed on close");
    }

    @Test
    void aPidfileWrittenLateIsAwaitedWithoutBlockingAndAStopMeanwhileStopsTheDaemon() throws Exception {
        Path pidfile = dir.resolve("late.pid");
        Path launched = dir.resolve("launched");
        // The daemon starts at once, but its pid reaches the pidfile only 3 s after the launcher exited 0.
        String script = "sleep 60 </dev/null >/dev/null 2>&1 & d=$!; (sleep 3; echo $d > " + pidfile
                + ") </dev/null >/dev/null 2>&1 & echo $d > " + launched + "; exit 0";
        Supervisor s = build(Supervisor.builder().program(sh("late", script).pidfile(pidfile)
                .startSeconds(Duration.ofSeconds(10)).build()));
        s.start();
        assertTrue(eventually(Duration.ofSeconds(10), () -> s.status().get(0).lastExit().isPresent()),
                "the launcher's exit 0 was seen");
        long daemon = Long.parseLong(Files.readString(launched).trim());
        toKill.add(daemon);
        // The event thread is free while it waits: it answers at once, in STARTING with no pid yet.
        Supervisor.ProcessStatus waiting = s.status().get(0);
        assertEquals(ProgramState.STARTING, waiting.state(), waiting.toString());
        assertEquals(-1, waiting.pid());
        assertFalse(Files.exists(pidfile), "still before the pidfile was written");
        assertEquals(1, s.stop("late"));
        assertEquals(ProgramState.STOPPING, s.status().get(0).state(), "the stop is taken while waiting");
        assertTrue(Processes.alive(daemon));
        // Once the pidfile names the daemon, it gets the stop signal.
        assertTrue(eventually(Duration.ofSeconds(15), () -> s.status().get(0).state() == ProgramState.STOPPED),
                s.status().get(0).toString());
        assertTrue(Processes.waitGone(daemon, Duration.ofSeconds(5)), "the daemon was stopped");
    }

    @Test
    void aPidfileThatNeverNamesALiveProcessIsAFailedStart() throws Exception {
        Path pidfile = dir.resolve("never.pid");
        Supervisor s = build(Supervisor.builder().mode(Supervisor.Mode.UNTIL_ALL_DONE)
                .program(sh("liar", "exit 0").pidfile(pidfile).startSeconds(Duration.ofMillis(500)).startRetries(0)
                        .build()));
        s.start();
        assertEquals(1, s.finished().get(20, TimeUnit.SECONDS));
        Supervisor.ProcessStatus st = s.status().get(0);
        assertEquals(ProgramState.FATAL, st.state());
        assertTrue(st.lastReason().contains("pidfile named no live process within 2000 ms"), st.lastReason());
    }
}
