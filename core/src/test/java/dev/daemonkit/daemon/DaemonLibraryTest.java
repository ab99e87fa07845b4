package dev.daemonkit.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Processes;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Java application that calls Daemon.daemonize() in main: comes up, reports ready, stops cleanly. */
class DaemonLibraryTest {
    @TempDir
    Path dir;
    private long daemonPid = -1;

    @AfterEach
    void cleanUp() {
        if (daemonPid > 0) {
            Processes.killAndWait(daemonPid);
        }
    }

    @Test
    void javaAppDaemonizesItselfReportsReadyAndStops() throws Exception {
        Path pidfile = dir.resolve("echo.pid");
        Path log = dir.resolve("echo.log");
        Path portfile = dir.resolve("port");
        Cli.Result r = Cli.runMain("dev.daemonkit.testing.EchoDaemon", pidfile.toString(), log.toString(),
                portfile.toString(), "0");
        assertEquals(0, r.exitCode(), r.all());
        daemonPid = Processes.readPid(pidfile).orElseThrow();
        assertTrue(r.stdout().contains("started (pid " + daemonPid + ")"), r.all()); // the result, on stdout
        // Ready means the port is bound: no waiting needed before connecting.
        int port = Integer.parseInt(Files.readString(portfile).trim());
        String[] answer;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
            answer = in.readLine().split(" ");
        }
        assertEquals(daemonPid, Long.parseLong(answer[0]), "the pidfile names the process that serves");
        assertNotEquals(daemonPid, Long.parseLong(answer[1]), "double fork: the daemon is not a session leader");
        assertEquals("/dev/null", Files.readSymbolicLink(Path.of("/proc/" + daemonPid + "/fd/0")).toString());
        assertEquals("/", Files.readSymbolicLink(Path.of("/proc/" + daemonPid + "/cwd")).toString());
        assertEquals("0022", Processes.status(daemonPid, "Umask").orElseThrow());
        assertTrue(Files.readString(log).contains("listening on " + port));

        DaemonControl.Status status = DaemonControl.status(pidfile);
        assertEquals(0, status.lsbCode(), status.describe());
        DaemonControl.StopResult stop = DaemonControl.stop(pidfile, dev.daemonkit.posix.Signal.SIGTERM,
                java.time.Duration.ofSeconds(10));
        assertEquals(new DaemonControl.StopResult.Stopped((int) daemonPid, false, java.util.Optional.empty()), stop,
                "stopped by SIGTERM alone: a JVM exits on it");
        assertFalse(Processes.alive(daemonPid));
        assertFalse(Files.exists(pidfile), "the daemon's shutdown hook removed its pidfile");
    }

    @Test
    void aDaemonThatCannotBindMakesTheLauncherFail() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path pidfile = dir.resolve("busy.pid");
            Cli.Result r = Cli.runMain("dev.daemonkit.testing.EchoDaemon", pidfile.toString(),
                    dir.resolve("busy.log").toString(), dir.resolve("port").toString(),
                    Integer.toString(taken.getLocalPort()));
            assertEquals(1, r.exitCode(), r.all());
            assertTrue(r.stderr().contains("cannot bind 127.0.0.1:" + taken.getLocalPort()), r.all());
            assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> !Files.exists(pidfile)), "pidfile removed");
        }
    }

    @Test
    void secondLaunchWhileRunningSaysAlreadyRunning() throws Exception {
        Path pidfile = dir.resolve("twice.pid");
        String[] args = {pidfile.toString(), dir.resolve("t.log").toString(), dir.resolve("port").toString(), "0"};
        assertEquals(0, Cli.runMain("dev.daemonkit.testing.EchoDaemon", args).exitCode());
        daemonPid = Processes.readPid(pidfile).orElseThrow();
        Cli.Result again = Cli.runMain("dev.daemonkit.testing.EchoDaemon", args);
        assertEquals(0, again.exitCode(), again.all());
        assertTrue(again.stdout().contains("already running (pid " + daemonPid + ")"), again.all());
        assertTrue(DaemonControl.stop(pidfile, dev.daemonkit.posix.Signal.SIGTERM, java.time.Duration.ofSeconds(10))
                instanceof DaemonControl.StopResult.Stopped);
    }
}
