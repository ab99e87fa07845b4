package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.process.ProcessTable;
import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Leftovers;
import dev.daemonkit.testkit.Processes;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root runs daemonkit on paths that go through a directory a less-privileged user (nobody) owns:
 * a link planted higher up the path than the last component, a symlink where supervise's program
 * log or control socket goes, a forged --forking record, a stand-in control socket, escape
 * sequences in a daemon's command line. Root's files (stand-ins for /etc ones) must come out
 * unchanged, and every refusal must say why with its documented exit status.
 */
class PathTrustCliTest {
    private static final int NOBODY = 65534;
    @TempDir
    Path dir;
    @RegisterExtension
    final Leftovers leftovers = new Leftovers();
    /** nobody's directory. */
    private Path att;
    /** root's directory with a root-only file: what an attacker would like root to write. */
    private Path etc;
    private Path secret;

    @BeforeEach
    void rootAndNobody() throws Exception {
        assumeTrue(Posix.geteuid() == 0, "needs root to act as root and as nobody");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        att = Files.createDirectory(dir.resolve("att"));
        Files.setAttribute(att, "unix:uid", NOBODY);
        Files.setAttribute(att, "unix:gid", NOBODY);
        etc = Files.createDirectory(dir.resolve("etc"));
        secret = etc.resolve("secret.log");
        Files.writeString(secret, "secret\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    }

    private void asNobody(String... command) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY,
                "--clear-groups", "--"));
        cmd.addAll(List.of(command));
        assertEquals(0, new ProcessBuilder(cmd).inheritIO().start().waitFor(), String.join(" ", command));
    }

    private void assertUntouched(Path file, String content) throws Exception {
        assertEquals(content, Files.readString(file), file + " kept its content");
        assertEquals(0, Files.getAttribute(file, "unix:uid"), file + " still root's");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), file + " mode");
    }

    @Test
    void aLinkPlantedHigherUpThePathIsNeverFollowed() throws Exception {
        asNobody("ln", "-s", etc.toString(), att.resolve("logs").toString());
        Path pidfile = dir.resolve("p.pid");
        leftovers.stop(pidfile);
        Cli.Result log = Cli.run("start", "--pidfile", pidfile.toString(), "--log", att.resolve("logs/secret.log").toString(),
                "--", "sleep", "300");
        assertEquals(2, log.exitCode(), log.all());
        assertTrue(log.stderr().contains(att.resolve("logs") + " is a symbolic link made by uid 65534"), log.all());
        Cli.Result handed = Cli.run("start", "--pidfile", pidfile.toString(), "--user", "nobody", "--log",
                att.resolve("logs/secret.log").toString(), "--", "sleep", "300");
        assertEquals(2, handed.exitCode(), handed.all());
        assertFalse(Files.exists(pidfile), "nothing was started");
        // The pidfile itself behind the link: not created, chmodded, truncated, read or removed.
        Path planted = att.resolve("logs/secret.log");
        Cli.Result start = Cli.run("start", "--pidfile", planted.toString(), "--", "sleep", "300");
        assertEquals(2, start.exitCode(), start.all());
        Cli.Result status = Cli.run("status", "--pidfile", planted.toString());
        assertEquals(4, status.exitCode(), status.all());
        Cli.Result stop = Cli.run("stop", "--pidfile", planted.toString());
        assertEquals(2, stop.exitCode(), stop.all());
        assertTrue(stop.stderr().contains("is a symbolic link made by uid 65534"), stop.all());
        assertUntouched(secret, "secret\n");
        // serve's log, handed to the user it runs as, is refused the same way.
        Cli.Result serve = Cli.run("serve", "--root", dir.toString(), "--port", "0", "--user", "nobody",
                "--pidfile", dir.resolve("serve.pid").toString(), "--log", planted.toString());
        assertEquals(2, serve.exitCode(), serve.all());
        assertUntouched(secret, "secret\n");
    }

    @Test
    void superviseNeitherFollowsAPlantedProgramLogNorChmodsThroughItsSocketPath() throws Exception {
        asNobody("ln", "-s", secret.toString(), att.resolve("web.log").toString());
        Cli.Result log = Cli.run("supervise", "--stdout-log", att.resolve("web.log").toString(), "--", "sh", "-c",
                "echo OUTPUT; exec sleep 300");
        assertEquals(2, log.exitCode(), log.all());
        assertTrue(log.stderr().contains("is a symbolic link made by uid 65534"), log.all());
        Path standIn = etc.resolve("passwd");
        Files.writeString(standIn, "root:x:0:0\n");
        Files.setPosixFilePermissions(standIn, PosixFilePermissions.fromString("rw-r--r--"));
        asNobody("ln", "-s", standIn.toString(), att.resolve("s.sock").toString());
        Cli.Result sock = Cli.run("supervise", "--control", att.resolve("s.sock").toString(), "--", "sleep", "300");
        assertEquals(1, sock.exitCode(), sock.all());
        assertTrue(sock.stderr().contains("exists and is not a socket: refusing to replace it"), sock.all());
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(standIn)));
        assertTrue(Files.isSymbolicLink(att.resolve("s.sock")), "nobody's link was neither followed nor removed");
        assertUntouched(secret, "secret\n");
    }

    @Test
    void aForkingRecordInADirectoryAnotherUserCanChangeIsNeitherWrittenNorBelieved() throws Exception {
        Path pidfile = att.resolve("app.pid");
        assertForkingRefusedIn(att, pidfile);
        // A record of root's naming root's process, as a renamed log or status note would be.
        long victim = leftovers.sleeper();
        Files.writeString(att.resolve("app.pid.daemonkit"), recordNaming(victim));
        asNobody("sh", "-c", "echo " + victim + " > " + pidfile);
        Cli.Result status = Cli.run("status", "--pidfile", pidfile.toString());
        assertFalse(status.exitCode() == 0, "not reported as a running daemon of ours: " + status.all());
        Cli.Result stop = Cli.run("stop", "--pidfile", pidfile.toString());
        assertTrue(stop.exitCode() != 0, stop.all());
        assertTrue(Processes.alive(victim), "root's process was not signalled");
    }

    /**
     * A sticky world-writable directory (/tmp): others cannot rename root's files there, but they
     * can move in a file of root's from a directory of their own — the log root made for a program
     * whose text the program chose — under the record's name (attacker re-test helper-12: root's
     * stop then killed the process that text named).
     */
    @Test
    void aForkingRecordMovedIntoAStickyDirectoryIsNotBelievedAndNoneIsWrittenThere() throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setAttribute(tmp, "unix:mode", 01777);
        assertForkingRefusedIn(tmp, tmp.resolve("fk.pid"));
        long victim = leftovers.sleeper();
        Path log = att.resolve("out.log"); // root's, in nobody's directory, with the program's text
        Files.writeString(log, recordNaming(victim));
        Path pidfile = tmp.resolve("web.pid");
        asNobody("mv", log.toString(), tmp.resolve("web.pid.daemonkit").toString());
        asNobody("sh", "-c", "echo " + victim + " > " + pidfile);
        try {
            Cli.Result status = Cli.run("status", "--pidfile", pidfile.toString());
            assertFalse(status.stdout().contains("identity recorded by daemonkit"), status.all());
            Cli.Result stop = Cli.run("stop", "--pidfile", pidfile.toString());
            assertTrue(stop.exitCode() != 0, stop.all());
            Cli.Result reload = Cli.run("reload", "--pidfile", pidfile.toString());
            assertTrue(reload.exitCode() != 0, reload.all());
            assertTrue(Processes.alive(victim), "root's process was not signalled");
        } finally {
            Files.deleteIfExists(tmp.resolve("web.pid.daemonkit"));
            Files.deleteIfExists(pidfile);
        }
    }

    /**
     * A pidfile in a directory another user owns still works end to end — created, locked and, on
     * stop, removed inside that directory held open (no unlink by path that a swapped directory
     * could redirect) — and a stranger's file of the same name elsewhere is never touched.
     */
    @Test
    void aPidfileInAnotherUsersDirectoryIsCreatedAndRemovedInThatDirectory() throws Exception {
        asNobody("mkdir", att.resolve("run").toString());
        Path pidfile = att.resolve("run/d.pid");
        leftovers.stop(pidfile);
        Files.writeString(etc.resolve("d.pid"), "1\n"); // same name in root's directory
        Cli.Result start = Cli.run("start", "--pidfile", pidfile.toString(), "--", "sleep", "300");
        assertEquals(0, start.exitCode(), start.all());
        assertEquals(0, Cli.run("status", "--pidfile", pidfile.toString()).exitCode());
        Cli.Result stop = Cli.run("stop", "--pidfile", pidfile.toString());
        assertEquals(0, stop.exitCode(), stop.all());
        assertFalse(Files.exists(pidfile), "removed: " + stop.all());
        assertEquals("1\n", Files.readString(etc.resolve("d.pid")));
    }

    /**
     * A directory planted where a rotation renames a backup (anyone can in a sticky directory)
     * made the rename fail, and the exception ended the log pump: the program died of SIGPIPE,
     * again and again, until FATAL (attacker re-test helper-15). The rotation is skipped instead.
     */
    @Test
    void aDirectoryPlantedAtABackupsNameDoesNotKillTheProgram() throws Exception {
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setAttribute(shared, "unix:mode", 01777);
        asNobody("mkdir", shared.resolve("app.log.1").toString());
        asNobody("touch", shared.resolve("app.log.1/x").toString());
        asNobody("mkdir", shared.resolve("app.log.2").toString());
        asNobody("touch", shared.resolve("app.log.2/x").toString());
        Path pidfile = dir.resolve("pl.pid");
        leftovers.stop(pidfile);
        Path supLog = dir.resolve("pl-supervisor.log");
        Cli.Result sup = Cli.run("supervise", "--pidfile", pidfile.toString(), "--log", supLog.toString(), "--start-seconds",
                "0", "--stdout-log", shared.resolve("app.log").toString(), "--log-max-bytes", "1KB", "--log-backups", "2",
                "--", "sh", "-c", "i=0; while [ $i -lt 300 ]; do echo \"line $i\"; i=$((i+1)); done; exec sleep 300");
        assertEquals(0, sup.exitCode(), sup.all());
        String program = programPid(pidfile);
        assertTrue(Processes.eventually(java.time.Duration.ofSeconds(15),
                () -> read(shared.resolve("app.log")).contains("line 299")), read(supLog));
        assertEquals(program, programPid(pidfile), () -> "the same program runs on: " + read(supLog));
        assertTrue(read(supLog).contains("not rotated: DirectoryNotEmptyException"), read(supLog));
        assertTrue(Files.exists(shared.resolve("app.log.2/x")), "nobody's directory is left alone");
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
    }

    /**
     * Root's own log link in a directory others can change (a group-writable /var/log): the link
     * is trusted, but the kernel would follow whatever link sits at that name at the open. nobody
     * exchanges root's link with its own link to root's 0600 file, as fast as it can, while root
     * runs commands with that log (attacker re-test helper-15: 8 of 60 runs wrote into the file).
     */
    @Test
    void aTrustedLogLinkSwappedInAGroupWritableDirectoryNeverLeadsRootsWritesElsewhere() throws Exception {
        Path real = Files.createDirectory(dir.resolve("real"));
        Path glog = Files.createDirectory(dir.resolve("glog"));
        Files.setAttribute(glog, "unix:gid", NOBODY);
        Files.setPosixFilePermissions(glog, PosixFilePermissions.fromString("rwxrwxr-x"));
        Files.createSymbolicLink(glog.resolve("app.log"), real.resolve("app.log")); // root's
        asNobody("ln", "-s", secret.toString(), glog.resolve("evil.log").toString());
        Process swapper = exchangingAsNobody(glog.resolve("app.log"), glog.resolve("evil.log"), 0);
        try {
            for (int run = 0; run < 10; run++) { // a fixed number: a busy machine starts JVMs slowly
                Cli.run("run", "--log", glog.resolve("app.log").toString(), "--", "echo", "RUN-" + run);
                assertTrue(swapper.isAlive(), "the swapper runs all along");
            }
        } finally {
            swapper.destroyForcibly().waitFor();
        }
        assertUntouched(secret, "secret\n");
        // Root's link back at its name, nobody's away: the legitimate case writes to the target.
        if (!Files.readSymbolicLink(glog.resolve("app.log")).equals(real.resolve("app.log"))) {
            asNobody("mv", glog.resolve("app.log").toString(), glog.resolve("x.log").toString());
            asNobody("mv", glog.resolve("evil.log").toString(), glog.resolve("app.log").toString());
            asNobody("mv", glog.resolve("x.log").toString(), glog.resolve("evil.log").toString());
        }
        Cli.Result ok = Cli.run("run", "--log", glog.resolve("app.log").toString(), "--", "echo", "AFTER");
        assertEquals(0, ok.exitCode(), ok.all());
        assertTrue(Files.readString(real.resolve("app.log")).contains("AFTER"), "written through root's link");
        assertUntouched(secret, "secret\n");
    }

    /** start --forking with a pidfile in {@code where} is bad input (exit 2) and starts nothing. */
    private void assertForkingRefusedIn(Path where, Path pidfile) throws Exception {
        Path marker = dir.resolve("ran-" + where.getFileName());
        Cli.Result start = Cli.run("start", "--forking", "--pidfile", pidfile.toString(), "--", "sh", "-c", ": > " + marker);
        assertEquals(2, start.exitCode(), start.all());
        assertTrue(start.stderr().contains("another user can add files to " + where), start.all());
        assertFalse(Files.exists(marker), "nothing was started");
    }

    /** The text of a --forking record naming {@code pid} (this boot, its start time): what a forger writes. */
    private static String recordNaming(long pid) throws Exception {
        long startMillis = ProcessTable.of((int) pid).orElseThrow().startTime().toEpochMilli();
        String boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
        return "pid=" + pid + " start=" + startMillis + " boot=" + boot + "\n";
    }

    @Test
    void ctlTalksOnlyToSocketsOfRootOrTheCaller() throws Exception {
        Path fake = att.resolve("fake.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(fake));
            server.configureBlocking(false);
            Files.setAttribute(fake, "unix:uid", NOBODY);
            Cli.Result ctl = Cli.run("ctl", "--control", fake.toString(), "status");
            assertEquals(1, ctl.exitCode(), ctl.all());
            assertTrue(ctl.stderr().contains("belongs to uid 65534, not to root or you"), ctl.all());
            assertEquals(null, server.accept(), "no connection was made: the request was not sent");
        } finally {
            Files.deleteIfExists(fake);
        }
    }

    /**
     * The socket file can look right (root's, in root's 0755 directory) and still be answered by
     * another user's process — one that bound it at the path while no supervisor was there (attacker
     * re-test helper-12: a bind/unlink loop won 9 of 40 tries). ctl asks the kernel who accepted
     * (SO_PEERCRED) and sends nothing to a stranger.
     */
    @Test
    void ctlSendsNothingToAProcessOfAnotherUserWhateverTheSocketFileLooksLike() throws Exception {
        Path run = Files.createDirectory(dir.resolve("run-peer"));
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path sock = run.resolve("s.sock");
        String server = "import socket, sys\n"
                + "s = socket.socket(socket.AF_UNIX)\n"
                + "s.bind(sys.argv[1]); s.listen(1)\n"
                + "print('ready', flush=True)\n"
                + "s.settimeout(30); c, _ = s.accept(); c.settimeout(5)\n"
                + "got = b''\n"
                + "try:\n"
                + "    while True:\n"
                + "        b = c.recv(4096)\n"
                + "        if not b: break\n"
                + "        got += b\n"
                + "except OSError: pass\n"
                + "print(len(got), flush=True)\n";
        Process stranger = new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--",
                "/usr/bin/python3", "-c", server, sock.toString()).redirectErrorStream(true).start();
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(stranger.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            assertEquals("ready", out.readLine());
            // Now the file passes every check made before connecting: root's, in root's 0755 directory.
            Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setAttribute(sock, "unix:uid", 0);
            Cli.Result ctl = Cli.run("ctl", "--control", sock.toString(), "status");
            assertEquals(1, ctl.exitCode(), ctl.all());
            assertTrue(ctl.stderr().contains("runs as nobody, neither root nor you: the request was not sent"), ctl.all());
            assertEquals("0", out.readLine(), "the stranger received no request");
        } finally {
            stranger.destroyForcibly().waitFor();
            Files.deleteIfExists(sock);
        }
    }

    @Test
    void aDaemonsCommandLineCannotPutEscapesOnRootsTerminal() throws Exception {
        Path pidfile = dir.resolve("esc.pid");
        leftovers.stop(pidfile);
        Cli.Result start = Cli.run("start", "--grace", "0", "--pidfile", pidfile.toString(), "--", "perl", "-e",
                "$0 = qq{x\\e]0;pwned\\a\\e[2J}; sleep 300");
        assertEquals(0, start.exitCode(), start.all());
        long pid = Processes.readPid(pidfile).orElseThrow();
        assertTrue(Processes.eventually(java.time.Duration.ofSeconds(10),
                () -> ProcessTable.of((int) pid).map(p -> p.commandText().contains("pwned")).orElse(false)), "renamed");
        Cli.Result status = Cli.run("status", "--pidfile", pidfile.toString());
        assertEquals(0, status.exitCode(), status.all());
        assertTrue(status.stdout().contains("x?]0;pwned??[2J"), status.all());
        Cli.Result ps = Cli.run("ps");
        assertFalse(ps.stdout().contains("\u001b"), "no escape in ps's table");
        assertFalse(status.stdout().contains("\u001b"), status.all());
    }

    @Test
    void anotherUsersLockOnThePidfileIsNotTakenForARunningDaemon() throws Exception {
        Path pidfile = dir.resolve("locked.pid");
        Files.writeString(pidfile, "12345\n"); // root's stale pidfile, 0644 as daemonkit writes them
        Files.setPosixFilePermissions(pidfile, PosixFilePermissions.fromString("rw-r--r--"));
        leftovers.stop(pidfile);
        Path held = att.resolve("held"); // where nobody can write
        Process locker = new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--",
                "flock", "-x", pidfile.toString(), "sh", "-c", "echo > " + held + "; exec sleep 60")
                .redirectErrorStream(true).start();
        try {
            assertTrue(Processes.eventually(java.time.Duration.ofSeconds(10), () -> Files.exists(held)), "nobody holds the lock");
            Cli.Result start = Cli.run("start", "--pidfile", pidfile.toString(), "--", "sleep", "300");
            assertEquals(1, start.exitCode(), start.all());
            assertTrue(start.stderr().contains("which runs as uid 65534 - neither root, you nor --user"), start.all());
            assertTrue(start.stderr().contains("nothing was started"), start.all());
            assertEquals("12345\n", Files.readString(pidfile), "the pidfile was not touched");
        } finally {
            locker.descendants().forEach(ProcessHandle::destroyForcibly);
            locker.destroyForcibly().waitFor();
        }
    }

    /**
     * The same seen by a caller who is not root ({@code daemon}): it cannot look at nobody's
     * descriptors, only at the pid /proc/locks names as the locker — and nobody made that one exit
     * while a child it passed the lock to holds on (attacker re-test helper-12: start answered
     * "already running" with the dead pid, exit 0, and nothing was started).
     */
    @Test
    void aLockPassedOnByAnExitedStrangerIsNotTakenForARunningDaemonByANonRootCaller() throws Exception {
        Path mine = Files.createDirectory(dir.resolve("daemons"));
        int daemonUid = Integer.parseInt(new String(new ProcessBuilder("id", "-u", "daemon").start().getInputStream()
                .readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim());
        Files.setAttribute(mine, "unix:uid", daemonUid);
        Path pidfile = mine.resolve("x.pid");
        Files.writeString(pidfile, "12345\n"); // daemon's stale pidfile: its daemon was killed
        Files.setAttribute(pidfile, "unix:uid", daemonUid);
        Files.setPosixFilePermissions(pidfile, PosixFilePermissions.fromString("rw-r--r--"));
        Path held = att.resolve("held2");
        Process locker = new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--",
                "flock", "-x", pidfile.toString(), "sh", "-c", "echo > " + held + "; exec sleep 60")
                .redirectErrorStream(true).start();
        List<ProcessHandle> children = new java.util.ArrayList<>();
        try {
            assertTrue(Processes.eventually(java.time.Duration.ofSeconds(10), () -> Files.exists(held)), "nobody holds the lock");
            children.addAll(locker.descendants().toList());
            locker.destroyForcibly().waitFor(); // the locker exits; its child keeps the lock
            Cli.Result start = Cli.runAs("daemon", "start", "--pidfile", pidfile.toString(), "--", "sleep", "300");
            assertEquals(1, start.exitCode(), start.all());
            assertTrue(start.stderr().contains("is locked by a process you cannot see"), start.all());
            assertTrue(start.stderr().contains("nothing was started"), start.all());
            assertEquals("12345\n", Files.readString(pidfile), "the pidfile was not touched");
        } finally {
            children.forEach(ProcessHandle::destroyForcibly);
            locker.destroyForcibly().waitFor();
        }
    }

    /**
     * serve --user switches to a user who cannot read --root (a clone under a 0700 directory): it
     * fails its start naming the user and the directory, instead of serving 404 to every request
     * with nothing in the log until a reload (newcomer audit helper-13); a --log there fails it too.
     */
    @Test
    void serveAsAUserWhoCannotReadItsRootFailsItsStartSayingSo() throws Exception {
        Path closed = Files.createDirectory(dir.resolve("private"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        Path www = Files.createDirectory(closed.resolve("www"));
        Files.writeString(www.resolve("index.html"), "hi\n");
        Path pidfile = dir.resolve("serve-private.pid");
        leftovers.stop(pidfile);
        Cli.Result r = Cli.runDeployed("serve", "--root", www.toString(), "--port", "0", "--user", "nobody", "--pidfile",
                pidfile.toString(), "--log", dir.resolve("serve-private.log").toString());
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("--root " + www + " is not readable by nobody (uid 65534)"), r.all());
        assertTrue(Processes.eventually(java.time.Duration.ofSeconds(10), () -> !Files.exists(pidfile)), "nothing runs");

        // A --log in that directory: written through the descriptor root opened, but never
        // reopened after logrotate's move (the old log said "cannot reopen logs: ... EACCES").
        Path open = Files.createDirectory(dir.resolve("www"));
        Path log = closed.resolve("serve.log");
        Cli.Result logged = Cli.runDeployed("serve", "--root", open.toString(), "--port", "0", "--user", "nobody",
                "--pidfile", pidfile.toString(), "--log", log.toString());
        assertEquals(1, logged.exitCode(), logged.all());
        assertTrue(logged.stderr().contains("--log " + log + ": directory " + closed + " is not searchable by nobody"
                + " (uid 65534): reopen-logs could not reopen the log"), logged.all());
        assertTrue(Processes.eventually(java.time.Duration.ofSeconds(10), () -> !Files.exists(pidfile)), "nothing runs");
    }

    /** nobody turns its directory {@code name} (in att) into a link to root's etc, keeping the original aside. */
    private void swapForALinkToEtc(String name) throws Exception {
        asNobody("mv", att.resolve(name).toString(), att.resolve(name + ".real").toString());
        asNobody("ln", "-s", etc.toString(), att.resolve(name).toString());
    }

    @Test
    void aProgramLogDirectorySwappedForALinkIsNotRotatedIntoRootsFiles() throws Exception {
        asNobody("mkdir", att.resolve("lg").toString());
        Files.writeString(etc.resolve("prog.log.1"), "root's backup\n");
        Files.setPosixFilePermissions(etc.resolve("prog.log.1"), PosixFilePermissions.fromString("rw-------"));
        Path pidfile = dir.resolve("r.pid");
        leftovers.stop(pidfile);
        Path go = att.resolve("go");
        Cli.Result sup = Cli.run("supervise", "--pidfile", pidfile.toString(), "--stdout-log",
                att.resolve("lg/prog.log").toString(), "--log-max-bytes", "100", "--log-backups", "1", "--", "sh", "-c",
                "while [ ! -e " + go + " ]; do sleep 0.1; done; printf '%0300d\\n' 0; exec sleep 300");
        assertEquals(0, sup.exitCode(), sup.all());
        Files.writeString(etc.resolve("prog.log"), "secret\n");
        Files.setPosixFilePermissions(etc.resolve("prog.log"), PosixFilePermissions.fromString("rw-------"));
        swapForALinkToEtc("lg");
        asNobody("touch", go.toString()); // now the program writes past the limit: a rotation is due
        // Rotated inside the directory it was opened in (held open), where the output then goes on:
        // the path itself now leads through nobody's link and is not opened again.
        assertTrue(Processes.eventually(java.time.Duration.ofSeconds(10),
                () -> sizeOf(att.resolve("lg.real/prog.log.1")) > 300), "the output went to the log's own directory");
        Thread.sleep(300);
        assertUntouched(etc.resolve("prog.log"), "secret\n");
        assertUntouched(etc.resolve("prog.log.1"), "root's backup\n");
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
    }

    @Test
    void aProgramLogDirectorySwappedBackAndForthDuringRotationsNeverTouchesRootsFiles() throws Exception {
        asNobody("mkdir", att.resolve("sw").toString());
        asNobody("ln", "-s", etc.toString(), att.resolve("swl").toString());
        // No prog.log in root's directory: opening the new log after each rotation must not create
        // one there either (an O_CREAT through the swapped-in link, refused only after the fact).
        for (String name : List.of("prog.log.1", "prog.log.2")) {
            Files.writeString(etc.resolve(name), "secret\n");
            Files.setPosixFilePermissions(etc.resolve(name), PosixFilePermissions.fromString("rw-------"));
        }
        List<String> before = list(etc);
        Path pidfile = dir.resolve("w.pid");
        leftovers.stop(pidfile);
        Path supLog = dir.resolve("w-supervisor.log");
        Cli.Result sup = Cli.run("supervise", "--pidfile", pidfile.toString(), "--log", supLog.toString(), "--stdout-log",
                att.resolve("sw/prog.log").toString(), "--log-max-bytes", "400", "--log-backups", "2", "--", "sh", "-c",
                "while :; do echo 0123456789012345678901234567890123456789; done");
        assertEquals(0, sup.exitCode(), sup.all());
        String program = programPid(pidfile);
        // nobody exchanges its directory and its link to root's etc as fast as it can, for 3 s,
        // while the program's output makes the supervisor rotate every 400 bytes.
        Process swapper = exchangingAsNobody(att.resolve("sw"), att.resolve("swl"), 3);
        String swaps;
        try {
            swaps = new String(swapper.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            assertEquals(0, swapper.waitFor(), swaps);
        } finally {
            swapper.destroyForcibly().waitFor();
        }
        // A refused open after a rotation leaves the output going to the rotated file: the pump
        // never dies, so the program never gets EPIPE and is never restarted.
        assertEquals(program, programPid(pidfile), () -> "the same program runs on; " + read(supLog));
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
        assertTrue(Long.parseLong(swaps) > 1000, swaps + " swaps");
        assertEquals(before, list(etc), "nothing created, renamed into or out of root's directory");
        for (String name : List.of("prog.log.1", "prog.log.2")) {
            assertUntouched(etc.resolve(name), "secret\n");
        }
    }

    /**
     * nobody exchanging {@code a} and {@code b} (renameat2 RENAME_EXCHANGE, atomic) as fast as it
     * can: for {@code seconds}, printing how many times, or until killed when 0.
     */
    private static Process exchangingAsNobody(Path a, Path b, int seconds) throws java.io.IOException {
        String swap = "import ctypes, sys, time\n"
                + "libc = ctypes.CDLL(None, use_errno=True)\n"
                + "a, b, secs = sys.argv[1].encode(), sys.argv[2].encode(), int(sys.argv[3])\n"
                + "end, n = time.time() + secs, 0\n"
                + "while secs == 0 or time.time() < end:\n"
                + "    if libc.renameat2(-100, a, -100, b, 2) != 0: sys.exit('renameat2: errno %d' % ctypes.get_errno())\n"
                + "    n += 1\n"
                + "print(n)\n";
        return new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--",
                "/usr/bin/python3", "-c", swap, a.toString(), b.toString(), Integer.toString(seconds))
                .redirectErrorStream(true).start();
    }

    /** "pid N" of the only program, from {@code ctl status}; what it says otherwise. */
    private static String programPid(Path pidfile) throws Exception {
        Cli.Result st = Cli.run("ctl", "--pidfile", pidfile.toString(), "status");
        assertEquals(0, st.exitCode(), st.all());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:RUNNING|STARTING) +(pid \\d+)").matcher(st.stdout());
        return m.find() ? m.group(1) : st.stdout();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static List<String> list(Path d) throws java.io.IOException {
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aControlSocketDirectorySwappedForALinkDoesNotMakeTheSupervisorDeleteRootsFile() throws Exception {
        asNobody("mkdir", att.resolve("run").toString());
        Path pidfile = dir.resolve("s.pid");
        leftovers.stop(pidfile);
        Cli.Result sup = Cli.run("supervise", "--pidfile", pidfile.toString(), "--control",
                att.resolve("run/ctl.sock").toString(), "--", "sleep", "300");
        assertEquals(0, sup.exitCode(), sup.all());
        Files.writeString(etc.resolve("ctl.sock"), "root's file\n");
        Files.setPosixFilePermissions(etc.resolve("ctl.sock"), PosixFilePermissions.fromString("rw-------"));
        swapForALinkToEtc("run");
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
        assertUntouched(etc.resolve("ctl.sock"), "root's file\n");
        // And ctl refuses a socket in a directory others can rename entries in (no sticky bit).
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        try (ServerSocketChannel root = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            root.bind(UnixDomainSocketAddress.of(open.resolve("x.sock"))); // root's, as a supervisor's would be
            root.configureBlocking(false);
            Cli.Result ctl = Cli.run("ctl", "--control", open.resolve("x.sock").toString(), "status");
            assertEquals(1, ctl.exitCode(), ctl.all());
            assertTrue(ctl.stderr().contains("its directory can be changed by another user"), ctl.all());
            assertEquals(null, root.accept(), "no connection was made");
        } finally {
            Files.deleteIfExists(open.resolve("x.sock"));
        }
    }

    @Test
    void ctlReopenLogsSaysWhenALogCouldNotBeReopenedAndKeepsWritingTheOldOne() throws Exception {
        asNobody("mkdir", att.resolve("lr").toString());
        Path pidfile = dir.resolve("o.pid");
        leftovers.stop(pidfile);
        Path log = att.resolve("lr/p.log");
        Cli.Result sup = Cli.run("supervise", "--pidfile", pidfile.toString(), "--stdout-log", log.toString(), "--",
                "sh", "-c", "while :; do echo tick; sleep 0.1; done");
        assertEquals(0, sup.exitCode(), sup.all());
        assertTrue(Processes.eventually(java.time.Duration.ofSeconds(10), () -> sizeOf(log) > 0), "the program logs");
        // logrotate's move, then nobody plants a link where the new log would be opened
        asNobody("mv", log.toString(), att.resolve("lr/p.log.1").toString());
        asNobody("ln", "-s", secret.toString(), log.toString());
        Cli.Result reopen = Cli.run("ctl", "--pidfile", pidfile.toString(), "reopen-logs");
        assertEquals(1, reopen.exitCode(), reopen.all());
        assertTrue(reopen.stderr().contains("cannot reopen " + log), reopen.all());
        long before = sizeOf(att.resolve("lr/p.log.1"));
        assertTrue(Processes.eventually(java.time.Duration.ofSeconds(10),
                () -> sizeOf(att.resolve("lr/p.log.1")) > before), "the output still goes to the log it went to");
        assertUntouched(secret, "secret\n");
        // once the link is gone, the same request reopens the log at its path
        asNobody("rm", log.toString());
        Cli.Result again = Cli.run("ctl", "--pidfile", pidfile.toString(), "reopen-logs");
        assertEquals(0, again.exitCode(), again.all());
        assertTrue(Processes.eventually(java.time.Duration.ofSeconds(10), () -> sizeOf(log) > 0), "a new log");
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
