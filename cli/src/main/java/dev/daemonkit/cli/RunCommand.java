package dev.daemonkit.cli;

import dev.daemonkit.daemon.AlreadyRunningException;
import dev.daemonkit.daemon.DaemonLauncher;
import dev.daemonkit.daemon.DaemonOptions;
import dev.daemonkit.daemon.LogFile;
import dev.daemonkit.daemon.Pidfile;
import dev.daemonkit.daemon.Privileges;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.ChildProcess;
import dev.daemonkit.process.JvmSignals;
import dev.daemonkit.process.Redirect;
import dev.daemonkit.process.Spawn;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code daemonkit run}: the start options, but in the foreground (systemd Type=simple, a
 * container's entry point): signals are forwarded and the exit status is the command's.
 */
final class RunCommand implements Command {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);
    /** What a service manager or a terminal sends that the command should get instead of us. */
    static final List<Signal> FORWARDED = List.of(Signal.SIGTERM, Signal.SIGINT, Signal.SIGHUP, Signal.SIGUSR1,
            Signal.SIGUSR2);

    @Override
    public String name() {
        return "run";
    }

    @Override
    public String summary() {
        return "run a command in the foreground with the daemon's set-up";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit run [--pidfile P] [--log FILE] [--chdir DIR] [--umask 022] [--user U]
                             -- CMD [ARGS...]

            Runs CMD in the foreground with the same set-up as start (directory, umask, log, pidfile,
            user) but without detaching: stdio is inherited unless --log is given, SIGTERM, SIGINT,
            SIGHUP, SIGUSR1 and SIGUSR2 are forwarded to it, and daemonkit exits with its status
            (128+N when it was killed by signal N). A program using Daemon.daemonize() stays in the
            foreground too.

            options:
            """ + DaemonArgs.RUN_OPTIONS_HELP + """


            exit: the command's exit status; 1 it could not be started; 2 bad usage.""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = DaemonArgs.parse(name(), argv, false);
        List<String> command = a.requireCommand();
        DaemonOptions o = DaemonArgs.options(a);
        DaemonArgs.check(o, command);
        Pidfile pidfile = null;
        if (o.pidfile() != null) {
            try {
                pidfile = Pidfile.acquireToHandOver(o.pidfile());
            } catch (AlreadyRunningException e) {
                err.println("daemonkit run: already running" + (e.pid().isPresent() ? " (pid " + e.pid().getAsLong() + ")" : ""));
                return FAILED;
            }
        }
        // fd 3 tells a Daemon.daemonize() program it was launched and must stay put; we ignore its messages.
        PosixFiles.Pipe ready = PosixFiles.pipe();
        List<Fd> logs = new ArrayList<>();
        try {
            Spawn spawn = Spawn.of(command)
                    .directory(o.workingDirectory())
                    .umask(o.umask())
                    .passFd(ready.writeEnd().number(), 3)
                    .env("DAEMONKIT_READY_FD", "3");
            if (o.stdout() != null) {
                // Opened here under the log rules (no link another user planted or could swap in,
                // LogFile), then handed over as descriptors: a path opened by the child would
                // follow whatever link sits at the name at that moment.
                Fd outLog = kept(logs, LogFile.openAppend(o.stdout(), o.user() != null));
                Fd errLog = o.stderr() == null || o.stderr().equals(o.stdout()) ? outLog
                        : kept(logs, LogFile.openAppend(o.stderr(), o.user() != null));
                spawn.stdin(Redirect.NULL).stdout(Redirect.fd(outLog.number())).stderr(Redirect.fd(errLog.number()));
            }
            o.environment().forEach(spawn::env);
            if (pidfile != null) {
                spawn.passFd(pidfile.lockFd().number(), 4).env(DaemonLauncher.ENV_PIDFILE_FD, "4")
                        .env(DaemonLauncher.ENV_PIDFILE, pidfile.path().toString());
            }
            ChildProcess child;
            if (o.user() != null) {
                Privileges.Account acc = Privileges.lookup(o.user(), o.group());
                child = Privileges.withRealIds(acc, () -> spawn.resetIds().start());
            } else {
                child = spawn.start();
            }
            ready.writeEnd().close();
            logs.forEach(Fd::close); // the child has its own copies
            if (pidfile != null) {
                pidfile.write(child.pid());
                pidfile.sealWrites();
                pidfile.handOver(); // the command holds the lock; a stop signals it, not us
            }
            JvmSignals.handle(FORWARDED, JvmSignals.WhenIgnored.LEAVE, s -> signalQuietly(child, s));
            LOG.info("started {} (pid {})", command.get(0), child.pid());
            WaitStatus status = child.waitFor();
            LOG.info("{}", status); // "pid N exited with code C" / "pid N killed by SIGTERM"
            return status.shellExitCode();
        } finally {
            ready.close();
            logs.forEach(Fd::close);
            if (pidfile != null) {
                pidfile.close();
            }
        }
    }

    private static Fd kept(List<Fd> fds, Fd fd) {
        fds.add(fd);
        return fd;
    }

    private static void signalQuietly(ChildProcess child, Signal s) {
        try {
            child.signal(s);
        } catch (PosixException e) {
            LOG.debug("forwarding {} to pid {}: {}", s, child.pid(), e.getMessage());
        }
    }
}
