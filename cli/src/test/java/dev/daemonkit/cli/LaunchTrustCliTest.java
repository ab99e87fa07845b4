package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Leftovers;
import dev.daemonkit.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, the launching side: what a daemon writes on its readiness pipe, a log path planted as
 * a symlink, a program that leaves processes behind, a class path the service user cannot read.
 * The launcher must refuse the lie, clean up exactly what it started, and say so.
 */
class LaunchTrustCliTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final Leftovers leftovers = new Leftovers();


    /** Live processes whose command line contains {@code token}. */
    private static List<ProcessInfo> withToken(String token) {
        return ProcessTable.all().stream().filter(p -> !p.isZombie() && p.commandText().contains(token)).toList();
    }

    @Test
    void aPidLineNamingAProcessOutsideTheSessionIsRefusedAndNothingIsLeft() throws Exception {
        long victim = leftovers.sleeper();
        for (String pid : List.of(Long.toString(victim), "1")) {
            Path p = dir.resolve("liar-" + pid + ".pid");
            String token = "4" + pid.length() + "1.25";
            Cli.Result r = Cli.run("start", "--pidfile", p.toString(), "--", "sh", "-c",
                    "echo NOTIFY >&3; echo 'PID " + pid + "' >&3; echo 'ERROR pretend failure' >&3; exec sleep " + token);
            assertEquals(1, r.exitCode(), r.all());
            assertTrue(r.stderr().contains("reported pid " + pid + ", which is not a process"), r.all());
            assertTrue(Processes.alive(victim), "pid " + victim + " was not signalled");
            assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> withToken(token).isEmpty()),
                    "the lying daemon was stopped: " + withToken(token));
            assertFalse(Files.exists(p), "no pidfile left");
        }
    }

    @Test
    void errorTextCannotDriveTheTerminal() throws Exception {
        Path p = dir.resolve("esc.pid");
        Cli.Result r = Cli.run("start", "--pidfile", p.toString(), "--", "sh", "-c",
                "printf 'ERROR \\033]0;owned\\007 bad config\\n' >&3; sleep 1");
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("?]0;owned? bad config"), r.all());
        assertFalse(r.stderr().contains("\u001b"), "no escape character reaches the terminal");
    }

    @Test
    void theErrorLineADaemonWroteBeforeDyingIsTheReasonGivenEvenWhenItsDeathIsSeenFirst() throws Exception {
        // 40 KB of lines the launcher ignores, then the reason, then exit: all of it is in the pipe
        // before the death, but the launcher reads 512 bytes between two looks at the child, so
        // it sees the death while the reason is still unread (the CI's `serve` on a taken port).
        Path p = dir.resolve("late.pid");
        for (int i = 0; i < 3; i++) {
            Cli.Result r = Cli.run("start", "--pidfile", p.toString(), "--", "sh", "-c",
                    "yes '# warming up' | head -n 4000 >&3; echo 'ERROR cannot listen on 127.0.0.1:80: Address already in use' >&3;"
                            + " exit 3");
            assertEquals(1, r.exitCode(), r.all());
            assertTrue(r.stderr().contains("daemon failed to start: cannot listen on 127.0.0.1:80: Address already in use"),
                    r.all());
            assertFalse(Files.exists(p));
        }
    }

    @Test
    void aDaemonThatDiesRightAfterItsPidLineIsNotCalledALiarButAPidOfOursThatStaysLocklessIs() throws Exception {
        // exit(2) closes a process's files, the inherited pidfile lock among them, before it is a
        // zombie, and a JVM takes a while to exit: the launcher may look at a daemon that said
        // "PID n" and failed at once while it is alive but lockless (the CI's `serve` on a taken
        // port). This daemon drops the lock, names itself, then fails: its ERROR line is the reason.
        Path script = dir.resolve("daemon.sh");
        Files.writeString(script, """
                for f in /proc/$$/fd/*; do
                  [ "$(readlink "$f")" = "$1" ] && eval "exec ${f##*/}>&-"
                done
                echo NOTIFY >&3; echo "PID $$" >&3
                if [ "$2" = dies ]; then
                  sleep 0.1; echo 'ERROR cannot listen on 127.0.0.1:80: Address already in use' >&3; exit 1
                fi
                echo READY >&3; exec sleep "$2"
                """);
        Path p = dir.resolve("dying.pid");
        Cli.Result dies = Cli.run("start", "--pidfile", p.toString(), "--", "sh", "-c", "sh \"$0\" \"$1\" dies & wait",
                script.toString(), p.toString());
        assertEquals(1, dies.exitCode(), dies.all());
        assertTrue(dies.stderr().contains("daemon failed to start: cannot listen on 127.0.0.1:80: Address already in use"),
                dies.all());
        assertFalse(Files.exists(p));

        // The same saying READY: a process of this start that does not hold the lock is refused.
        String token = "304.75";
        Cli.Result stays = Cli.run("start", "--pidfile", p.toString(), "--", "sh", "-c", "sh \"$0\" \"$1\" " + token + " & wait",
                script.toString(), p.toString());
        assertEquals(1, stays.exitCode(), stays.all());
        assertTrue(stays.stderr().contains("which is not a process daemonkit started that holds its pidfile's lock"), stays.all());
        assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> withToken(token).isEmpty()), stays.all());
        assertFalse(Files.exists(p));
    }

    @Test
    void aProgramThatGoesToTheBackgroundFailsWithAClearMessageAndLeavesNothing() throws Exception {
        Path p = dir.resolve("bg.pid");
        String token = "302.75";
        Cli.Result r = Cli.run("start", "--pidfile", p.toString(), "--", "sh", "-c", "sleep " + token + " & exit 0");
        assertEquals(1, r.exitCode(), r.all());
        Matcher m = Pattern.compile("left pid (\\d+) \\(sleep " + Pattern.quote(token) + "\\) running: it put itself in the background")
                .matcher(r.stderr());
        assertTrue(m.find(), r.all());
        long leftover = Long.parseLong(m.group(1));
        leftovers.kill(leftover);
        assertTrue(r.stderr().contains("daemonkit stopped what the failed start left running"), r.all());
        assertTrue(Processes.waitGone(leftover, Duration.ofSeconds(5)));
        assertFalse(Files.exists(p));

        // One that escapes into a session of its own still holds the lock it inherited: stopped too.
        String token2 = "303.75";
        Cli.Result esc = Cli.run("start", "--pidfile", p.toString(), "--", "sh", "-c", "setsid sleep " + token2 + " & exit 0");
        assertEquals(1, esc.exitCode(), esc.all());
        assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> withToken(token2).isEmpty()), esc.all());
        assertFalse(Files.exists(p));
    }

    @Test
    void aLogSymlinkPlantedByTheServiceUserIsNeverFollowed() throws Exception {
        assumeTrue(Posix.geteuid() == 0, "planting as nobody and starting as root needs root");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "root only\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path logs = Files.createDirectory(dir.resolve("logs")); // the service user's directory
        Files.setAttribute(logs, "unix:uid", 65534);
        Path link = logs.resolve("app.log");
        Files.createSymbolicLink(link, secret);
        Files.setAttribute(link, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
        Path pidfile = dir.resolve("s.pid");
        Path www = Files.createDirectory(dir.resolve("www"));

        Cli.Result start = Cli.run("start", "--pidfile", pidfile.toString(), "--log", link.toString(), "--user", "nobody",
                "--", "sleep", "300");
        assertEquals(2, start.exitCode(), start.all());
        assertTrue(start.stderr().contains("symbolic link"), start.all());
        Cli.Result serve = Cli.runDeployed("serve", "--root", www.toString(), "--port", "0", "--pidfile", pidfile.toString(),
                "--log", link.toString(), "--user", "nobody");
        leftovers.stop(pidfile);
        assertEquals(2, serve.exitCode(), serve.all());
        Cli.Result plain = Cli.run("start", "--pidfile", pidfile.toString(), "--log", link.toString(), "--", "sleep", "300");
        assertEquals(2, plain.exitCode(), "a link owned by another user than its directory's owner: " + plain.all());

        assertEquals(0, Files.getAttribute(secret, "unix:uid"), "never chowned");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
        assertEquals("root only\n", Files.readString(secret), "never appended to");
        assertFalse(Files.exists(pidfile));

        // A link the directory's owner made is the administrator's own choice: followed (append only).
        Path adminDir = Files.createDirectory(dir.resolve("admin"));
        Path adminLink = adminDir.resolve("app.log");
        Path target = dir.resolve("real.log");
        Files.createSymbolicLink(adminLink, target);
        assertEquals(0, Cli.run("start", "--pidfile", pidfile.toString(), "--log", adminLink.toString(), "--",
                "sh", "-c", "echo through-the-link; exec sleep 300").exitCode());
        leftovers.kill(Processes.readPid(pidfile).orElseThrow());
        assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> read(target).contains("through-the-link")));
    }

    @Test
    void aClassPathTheTargetUserCannotReadFailsBeforeTheDrop() throws Exception {
        assumeTrue(Posix.geteuid() == 0, "dropping to nobody needs root");
        // The test class path itself may or may not be readable by nobody; make one that is not.
        Path locked = Files.createDirectory(dir.resolve("home"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        Path classes = Files.createDirectory(locked.resolve("classes"));
        String cp = classes + java.io.File.pathSeparator + dev.daemonkit.testkit.ReadableClassPath.get();
        List<String> cmd = Cli.javaCommandWith(cp, "dev.daemonkit.cli.Main", "serve", "--root", dir.toString(), "--port", "0",
                "--user", "nobody");
        Process proc = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        leftovers.kill(proc.pid());
        String err = new String(proc.getErrorStream().readAllBytes());
        assertTrue(proc.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(1, proc.exitValue(), err);
        assertTrue(err.contains("cannot switch to user nobody") && err.contains(locked.toString()), err);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }
}
