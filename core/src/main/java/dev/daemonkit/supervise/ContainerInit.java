package dev.daemonkit.supervise;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.PollFds;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.SignalQueue;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.ChildProcess;
import dev.daemonkit.process.Descendants;
import dev.daemonkit.process.Reaper;
import dev.daemonkit.process.RelayedSignals;
import dev.daemonkit.process.Spawn;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container's init, as tini and dumb-init are: runs one command, relays signals to it, reaps
 * every child when it is PID 1 or a subreaper, and ends with the command's exit status (128+N
 * when a signal N killed it) after SIGTERM, then SIGKILL after a grace period, to what is left of
 * the processes it adopted.
 *
 * <pre>{@code
 * int status = ContainerInit.builder(List.of("/app/server", "--port", "8080")).processGroup(true).build().run();
 * System.exit(status);
 * }</pre>
 *
 * <p>Signals are taken from a signalfd, so only those {@link RelayedSignals#available()} are
 * relayed: start the JVM as {@code ./daemonkit init} does, or call
 * {@link RelayedSignals#reexecIfNeeded()} first thing in {@code main}.
 */
public final class ContainerInit {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerInit.class);
    /** Job-control signals after which the init stops itself too, as dumb-init does. */
    private static final Set<Signal> TTY_STOPS = Set.of(Signal.SIGTSTP, Signal.SIGTTIN, Signal.SIGTTOU);

    private final List<String> command;
    private final boolean processGroup;
    private final boolean subreaper;
    private final Map<Signal, Integer> signalMap;
    private final Duration grace;
    private volatile ChildProcess child;

    private ContainerInit(Builder b) {
        this.command = b.command;
        this.processGroup = b.processGroup;
        this.subreaper = b.subreaper;
        this.signalMap = Map.copyOf(b.signalMap);
        this.grace = b.grace;
    }

    /** A builder for an init that runs {@code command}. */
    public static Builder builder(List<String> command) {
        return new Builder(command);
    }

    /**
     * Starts the command and returns its exit status once it ended and the clean-up is done.
     *
     * @throws PosixException the command could not be started (ENOENT: not found; EACCES,
     *                        ENOEXEC: not executable), or the subreaper role refused; nothing runs then
     */
    public int run() throws PosixException {
        boolean reaping = Posix.getpid() == 1 || subreaper || ProcessControl.isChildSubreaper();
        if (subreaper) {
            ProcessControl.setChildSubreaper(true);
        }
        Reaper reaper = reaping ? Reaper.ownAllChildren(st -> LOG.debug("reaped orphan {}", st)) : Reaper.shared();
        Set<Signal> relayed = RelayedSignals.available();
        SignalQueue queue = SignalQueue.open(relayed);
        Spawn spawn = Spawn.of(command).reaper(reaper);
        spawn.environment().clear();
        spawn.environment().putAll(RelayedSignals.childEnvironment());
        if (processGroup) {
            spawn.newProcessGroup();
        }
        ChildProcess c;
        try {
            c = spawn.start();
        } catch (PosixException e) {
            queue.close();
            throw e;
        }
        child = c;
        LOG.debug("started pid {}: {}; relaying {}", c.pid(), command, relayed);
        PosixFiles.Pipe stop = PosixFiles.pipe(true);
        Thread relay = new Thread(() -> relay(queue, stop.readEnd()), "daemonkit-init-signals");
        relay.setDaemon(true);
        relay.start();
        WaitStatus st;
        try {
            st = c.waitFor();
            // Signals from now on are not relayed: the relay thread ends and closes what it used.
            PosixFiles.write(stop.writeEnd(), new byte[] {1});
            relay.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for pid " + c.pid(), e);
        } finally {
            stop.writeEnd().close();
        }
        LOG.debug("{}", st);
        if (reaping) {
            int n = Descendants.terminateAll(grace);
            if (n > 0) {
                LOG.info("{} left {} process(es) behind: terminated", command.get(0), n);
            }
        } else if (processGroup) {
            terminateGroup(c.pid());
        }
        return st.shellExitCode();
    }

    /**
     * The relay thread: every signal taken goes to the command (or its group), mapped, until
     * {@code stop} becomes readable; then it closes the queue and {@code stop}.
     */
    private void relay(SignalQueue queue, Fd stop) {
        try (queue; stop; Arena arena = Arena.ofConfined()) {
            PollFds fds = new PollFds(arena, 2);
            fds.set(0, queue.fd());
            fds.set(1, stop);
            while (true) {
                if (fds.poll(2, -1) <= 0 || !fds.ready(0)) {
                    if (fds.ready(1)) {
                        return;
                    }
                    continue;
                }
                relayOne(queue.take());
            }
        } catch (PosixException e) {
            LOG.error("cannot read signals any more: {}", e.getMessage());
        }
    }

    private void relayOne(SignalQueue.Taken t) {
        Signal s = Signal.of(t.signo()).orElse(null);
        if (s == null) {
            return;
        }
        forward(s);
        if (TTY_STOPS.contains(s)) {
            try {
                Posix.kill(Posix.getpid(), Signal.SIGSTOP); // ignored by the kernel when we are PID 1
            } catch (PosixException e) {
                LOG.debug("cannot stop: {}", e.getMessage());
            }
        }
    }

    private void forward(Signal s) {
        ChildProcess c = child;
        int to = signalMap.getOrDefault(s, processGroup && TTY_STOPS.contains(s) ? Signal.SIGSTOP.number() : s.number());
        if (c == null || to == 0) {
            LOG.debug("{} not relayed", s);
            return;
        }
        try {
            if (processGroup) {
                Posix.kill(-c.pid(), to);
            } else {
                c.signal(to);
            }
            LOG.debug("relayed {} as {}", s, Signal.nameOf(to));
        } catch (PosixException e) {
            LOG.debug("{} not relayed: {}", s, e.getMessage());
        }
    }

    /** Without a reaper role: SIGTERM to the command's process group, SIGKILL after the grace period. */
    private void terminateGroup(int pgid) {
        try {
            Posix.kill(-pgid, Signal.SIGTERM);
        } catch (PosixException e) {
            return; // ESRCH: nothing left in the group
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() - deadline < 0) {
            try {
                Posix.kill(-pgid, 0);
                Thread.sleep(20);
            } catch (PosixException e) {
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        try {
            LOG.warn("process group {} still there {} ms after SIGTERM: sending SIGKILL", pgid, grace.toMillis());
            Posix.kill(-pgid, Signal.SIGKILL);
        } catch (PosixException e) {
            if (e.errno() != Errno.ESRCH) {
                LOG.debug("kill(-{}, SIGKILL): {}", pgid, e.getMessage());
            }
        }
    }

    /** Builds a {@link ContainerInit}. */
    public static final class Builder {
        private final List<String> command;
        private boolean processGroup;
        private boolean subreaper;
        private final Map<Signal, Integer> signalMap = new EnumMap<>(Signal.class);
        private Duration grace = Duration.ofSeconds(5);

        private Builder(List<String> command) {
            if (command.isEmpty()) {
                throw new IllegalArgumentException("an init needs a command to run");
            }
            this.command = List.copyOf(command);
        }

        /**
         * Start the command in a process group of its own and relay signals to the whole group
         * (dumb-init's default, tini -g); SIGTSTP, SIGTTIN and SIGTTOU then go out as SIGSTOP
         * unless mapped otherwise, as dumb-init does. Default false.
         */
        public Builder processGroup(boolean on) {
            processGroup = on;
            return this;
        }

        /** Become a child subreaper (tini -s) so orphans come to this process even when it is not PID 1. */
        public Builder subreaper(boolean on) {
            subreaper = on;
            return this;
        }

        /** Relay {@code from} as signal number {@code to}; 0 means do not relay it (dumb-init -r). */
        public Builder mapSignal(Signal from, int to) {
            if (to < 0 || to > 31) {
                throw new IllegalArgumentException("signal to map to must be 0..31: " + to);
            }
            signalMap.put(Objects.requireNonNull(from), to);
            return this;
        }

        /** Between SIGTERM and SIGKILL to what the command left behind; default 5 s. */
        public Builder grace(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("grace must not be negative: " + d);
            }
            grace = d;
            return this;
        }

        public ContainerInit build() {
            return new ContainerInit(this);
        }
    }
}
