package dev.daemonkit.cli;

import static dev.daemonkit.testkit.Processes.eventually;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Leftovers;
import dev.daemonkit.testkit.Processes;
import dev.daemonkit.testkit.Scripts;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, as a newcomer meets it: a relative command, arguments that are not UTF-8, one way of
 * printing results and diagnostics, help texts that line up, a control socket that idle clients
 * cannot block.
 */
class NewcomerCliTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final Leftovers leftovers = new Leftovers();

    private Path script(String name, String body) throws Exception {
        return Scripts.executable(dir, name, body);
    }

    @Test
    void aRelativeCommandMeansTheFileInTheLaunchDirectory() throws Exception {
        script("run.sh", "echo \"$0\" > " + dir.resolve("ran") + "\nexec sleep 300");
        Path pidfile = dir.resolve("rel.pid");
        leftovers.stop(pidfile);
        // Launched in dir, as a user typing ./run.sh there; the daemon itself starts in /.
        Cli.Result r = Cli.run(dir, "start", "--pidfile", "rel.pid", "--", "./run.sh");
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.stdout().startsWith("started (pid "), r.all());
        assertTrue(eventually(Duration.ofSeconds(5), () -> Files.exists(dir.resolve("ran"))));
        assertEquals(dir.resolve("run.sh").toString(), Files.readString(dir.resolve("ran")).strip());
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
    }

    /**
     * Bytes that are not UTF-8 (Latin-1 é, a lone 0xff) in an argument and in the program's own
     * name reach the program unchanged. The CLI is launched through sh so that the bytes are
     * really on its command line: a ProcessBuilder would already have turned them into '?'.
     */
    @Test
    void argumentsThatAreNotUtf8ArePassedByteExact() throws Exception {
        byte[] name = {'p', (byte) 0xe9, 'r', 'e'};
        byte[] arg = {'a', (byte) 0xe9, 'b', (byte) 0xff};
        String body = "printf '%s' \"$1\" > " + dir.resolve("arg") + "\nprintf '%s' \"$0\" > " + dir.resolve("name");
        script("placeholder", body); // renamed to the raw name by the shell: a Java Path cannot hold it
        String cli = String.join(" ", Cli.command().stream().map(NewcomerCliTest::quote).toList());
        String sh = "cd " + quote(dir.toString()) + " && mv placeholder \"$(printf 'p\\351re')\" && "
                + "exec " + cli + " run -- \"./$(printf 'p\\351re')\" \"$(printf 'a\\351b\\377')\" "
                + "2> " + quote(dir.resolve("err").toString());
        Cli.Result r = Cli.exec(new ProcessBuilder("/bin/sh", "-c", sh), Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), r.all() + Files.readString(dir.resolve("err")));
        assertArrayEquals(arg, Files.readAllBytes(dir.resolve("arg")));
        byte[] ran = Files.readAllBytes(dir.resolve("name"));
        byte[] expected = (dir + "/").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] full = new byte[expected.length + name.length];
        System.arraycopy(expected, 0, full, 0, expected.length);
        System.arraycopy(name, 0, full, expected.length, name.length);
        assertArrayEquals(full, ran, "the program's own path, byte for byte");
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Test
    void resultsGoToStdoutAndDiagnosticsCarryTheCommandName() throws Exception {
        // run: one line per event, the command named, no timestamp, the pid once.
        Cli.Result run = Cli.run("run", "--", "sh", "-c", "exit 3");
        assertEquals(3, run.exitCode(), run.all());
        assertTrue(run.stderr().lines().anyMatch(l -> l.matches("daemonkit run: pid \\d+ exited with code 3")), run.all());
        assertFalse(run.stderr().contains("[INFO]"), run.all());

        // stop on a stale pidfile: the result once, on stdout; nothing on stderr.
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path stale = dir.resolve("stale.pid");
        Files.writeString(stale, gone.pid() + "\n");
        Cli.Result stop = Cli.run("stop", "--pidfile", stale.toString());
        assertEquals(0, stop.exitCode(), stop.all());
        assertEquals("not running (removed stale pidfile " + stale + ")", stop.stdout().strip(), stop.all());
        assertEquals("", stop.stderr(), stop.all());

        // a detaching service reports like start: "started (pid N)" on stdout, no log line.
        Files.createDirectories(dir.resolve("www"));
        Path pidfile = dir.resolve("serve.pid");
        leftovers.stop(pidfile);
        Cli.Result serve = Cli.run("serve", "--root", dir.resolve("www").toString(), "--port",
                Integer.toString(Processes.freeLoopbackPort()), "--pidfile", pidfile.toString());
        assertEquals(0, serve.exitCode(), serve.all());
        long pid = Processes.readPid(pidfile).orElseThrow();
        assertEquals("started (pid " + pid + ")", serve.stdout().strip(), serve.all());
        assertEquals("", serve.stderr(), serve.all());

        // a file that holds no pid: status 4, saying so.
        Path garbage = dir.resolve("garbage.pid");
        Files.writeString(garbage, "hello\n");
        Cli.Result status = Cli.run("status", "--pidfile", garbage.toString());
        assertEquals(4, status.exitCode(), status.all());
        assertTrue(status.all().contains("not a pid"), status.all());
    }

    /**
     * A pidfile directory nothing can be created in is bad input (exit 2, nothing started) also for
     * root, whom access(2) tells "writable" on a pseudo file system (newcomer audit: /proc gave
     * exit 1 and "directory /proc does not exist", /sys exit 1 and a bare EACCES).
     */
    @Test
    void aPidfileDirectoryThatTakesNoFilesIsBadInput() throws Exception {
        Path marker = dir.resolve("ran");
        for (String pidfile : List.of("/proc/daemonkit-test.pid", "/sys/daemonkit-test.pid")) {
            Cli.Result start = Cli.run("start", "--pidfile", pidfile, "--", "sh", "-c", "touch " + marker + "; sleep 30");
            assertEquals(2, start.exitCode(), start.all());
            assertTrue(start.stderr().startsWith("daemonkit start: pidfile directory " + Path.of(pidfile).getParent()), start.all());
            assertFalse(start.stderr().contains("does not exist"), start.all());
            Cli.Result sup = Cli.run("supervise", "--pidfile", pidfile, "--", "sh", "-c", "touch " + marker + "; sleep 30");
            assertEquals(2, sup.exitCode(), sup.all());
            assertTrue(sup.stderr().startsWith("daemonkit supervise: pidfile directory " + Path.of(pidfile).getParent()),
                    sup.all());
            Cli.Result serve = Cli.run("serve", "--root", dir.toString(), "--port", "0", "--pidfile", pidfile);
            assertEquals(2, serve.exitCode(), serve.all());
            assertTrue(serve.stderr().startsWith("daemonkit serve: pidfile directory " + Path.of(pidfile).getParent()),
                    serve.all());
        }
        Thread.sleep(200);
        assertFalse(Files.exists(marker), "nothing was started");
    }

    private static boolean canUnshareMounts() throws InterruptedException {
        try {
            return new ProcessBuilder("unshare", "--mount", "true").start().waitFor() == 0;
        } catch (java.io.IOException e) {
            return false; // no unshare(1)
        }
    }

    /**
     * On a read-only mount access(2) tells root "not writable" too; the message says why (it said
     * "no write permission on DIR", wrong for root). The mount is a tmpfs in a mount namespace of
     * the command's own (unshare), gone when it exits.
     */
    @Test
    void aPidfileOrLogOnAReadOnlyFileSystemIsBadInputSayingSo() throws Exception {
        assumeTrue(Posix.geteuid() == 0 && canUnshareMounts(), "needs root and unshare --mount to mount a read-only file system");
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Path marker = dir.resolve("ran");
        String sleeper = "touch " + marker + "; sleep 30";
        List<List<String>> cases = List.of(
                List.of("start", "--pidfile", ro + "/x.pid", "--", "sh", "-c", sleeper),
                List.of("start", "--pidfile", dir + "/x.pid", "--log", ro + "/x.log", "--", "sh", "-c", sleeper),
                List.of("supervise", "--pidfile", ro + "/x.pid", "--", "sh", "-c", sleeper),
                List.of("serve", "--root", dir.toString(), "--port", "0", "--pidfile", ro + "/x.pid"));
        for (List<String> args : cases) {
            List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                    "mount -t tmpfs -o ro tmpfs \"$0\" && exec \"$@\"", ro.toString()));
            cmd.addAll(Cli.command(args.toArray(String[]::new)));
            Cli.Result r = Cli.exec(new ProcessBuilder(cmd), Duration.ofSeconds(60));
            assertEquals(2, r.exitCode(), args + ": " + r.all());
            String what = args.contains("--log") ? "log file" : "pidfile";
            assertEquals("daemonkit " + args.getFirst() + ": " + what + " directory " + ro
                    + " is not writable (read-only file system)", r.stderr().strip(), args + ": " + r.all());
        }
        Thread.sleep(200);
        assertFalse(Files.exists(marker), "nothing was started");
    }

    /**
     * A usage error names its command once, in the "daemonkit NAME: " prefix (newcomer audit:
     * "daemonkit prefork: prefork needs --workers N", "daemonkit ctl: ctl needs --control ...").
     */
    @Test
    void aUsageErrorNamesItsCommandOnce() throws Exception {
        String pidfile = dir.resolve("u.pid").toString();
        List<List<String>> cases = List.of(
                List.of("init", "daemonkit init: the command to run goes after --, e.g. daemonkit init ... --"),
                List.of("start", "--pidfile", pidfile, "daemonkit start: the command to run goes after --, e.g."),
                List.of("supervise", "daemonkit supervise: the command to run goes after --, e.g."),
                List.of("status", "daemonkit status: --pidfile is required"),
                List.of("prefork", "--", "true", "daemonkit prefork: --workers N is required"),
                List.of("ctl", "daemonkit ctl: a request is needed: status, "),
                List.of("ctl", "status", "daemonkit ctl: --control SOCK or --pidfile P is required"),
                List.of("serve", "--root", dir.toString(), "--", "true", "daemonkit serve: no command goes after --"),
                List.of("ps", "--", "true", "daemonkit ps: no command goes after --"),
                List.of("demo", "daemonkit demo: choose 'zombie' or 'orphan'"));
        for (List<String> c : cases) {
            Cli.Result r = Cli.run(c.subList(0, c.size() - 1).toArray(String[]::new));
            String first = r.stderr().lines().findFirst().orElse("");
            assertEquals(2, r.exitCode(), c + ": " + r.all());
            assertTrue(first.startsWith(c.getLast()), c + ": " + r.all());
            assertFalse(first.startsWith("daemonkit " + c.getFirst() + ": " + c.getFirst() + " "), c + ": " + r.all());
        }
    }

    @Test
    void everyHelpTextLinesUpAndFitsATerminal() throws Exception {
        for (String command : Main.commands().keySet()) {
            Cli.Result r = Cli.run(command, "--help");
            assertEquals(0, r.exitCode(), command + ": " + r.all());
            for (String line : r.stdout().lines().toList()) {
                assertFalse(line.startsWith("--"), command + ": option line not indented: " + line);
                assertTrue(line.length() <= 100, command + ": line of " + line.length() + " characters: " + line);
            }
        }
        String run = Cli.run("run", "--help").stdout();
        assertFalse(run.contains("--grace") || run.contains("--forking"), "run lists start-up options it does not take");
        assertFalse(Cli.run("reopen-logs", "--help").stdout().contains("onReload"));
    }

    @Test
    void idleControlClientsDoNotBlockCtl() throws Exception {
        Path pidfile = dir.resolve("sv.pid");
        leftovers.stop(pidfile);
        Cli.Result up = Cli.run("supervise", "--pidfile", pidfile.toString(), "--log", dir.resolve("sv.log").toString(),
                "--", "sleep", "300");
        assertEquals(0, up.exitCode(), up.all());
        Path socket = dir.resolve("sv.sock");
        List<SocketChannel> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 24; i++) { // more than the supervisor serves at once
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(socket));
                idle.add(ch);
            }
            Cli.Result status = Cli.run("ctl", "--pidfile", pidfile.toString(), "--timeout", "30s", "status");
            assertEquals(0, status.exitCode(), status.all());
            assertTrue(status.stdout().contains("RUNNING"), status.all());
        } finally {
            for (SocketChannel ch : idle) {
                ch.close();
            }
        }
    }
}
