package dev.daemonkit.process;


import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.PollFds;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.WaitStatus;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects the exit status of children, so that none stays a zombie.
 *
 * <p><b>Default mode</b> ({@link #shared()}): reaps exactly the children daemonkit spawned, one
 * background thread polling their pidfds and calling waitid(P_PIDFD) for the ones that became
 * readable. It never calls waitpid(-1), so it coexists with the JDK's own reaper for
 * {@link ProcessBuilder} children. (Kernels without pidfd fall back to one waiting thread per child.)
 * A new child is handed to that thread after a grace period of {@link #GRACE_MILLIS} ms, or at once
 * when someone asks for {@link ChildProcess#onExit()}: most children are reaped by the thread that
 * waits for them ({@link ChildProcess#waitFor()}), and waking the reaper for each of those cost
 * two context switches and a race for the exit status per spawn. A child nobody waits for is
 * still reaped, at most the grace period after it exits.
 *
 * <p><b>Own-all-children mode</b> ({@link #ownAllChildren(Consumer)}, or {@link #reapOrphans()}):
 * for a process that is PID 1 (in a container) or a subreaper
 * ({@code ProcessControl.setChildSubreaper(true)}) and therefore inherits orphans. One thread reaps
 * every child, spawned by daemonkit or adopted; statuses of children daemonkit does not know go to
 * the listener. It never calls waitpid(-1): it looks with waitid(WNOWAIT) and leaves alone the
 * children another thread waits for, so {@link ProcessBuilder} keeps working in the same JVM with
 * correct exit values (see {@link OwnAllLoop} for the rules and their one assumption).
 */
public final class Reaper {
    private static final Logger LOG = LoggerFactory.getLogger(Reaper.class);

    /** Every child spawned and not yet reaped, by pid: lets any reaper complete any child. */
    private static final Map<Integer, ChildProcess> LIVE = new ConcurrentHashMap<>();
    /**
     * Spawners hold the read side across posix_spawn + registration, so own-all mode (which takes
     * the write side to look a reaped pid up) never sees an unregistered pid. A read side, not a
     * mutex: spawns from several threads must not queue behind each other's posix_spawn.
     */
    private static final ReentrantReadWriteLock SPAWN_LOCK = new ReentrantReadWriteLock();

    private static volatile Reaper shared;
    private static volatile Reaper ownAll;

    private final boolean ownAllMode;
    private final Consumer<WaitStatus> unknownChildListener;
    /** How long a new child may go unwatched by the reaper thread (its waiter usually reaps it first). */
    static final long GRACE_MILLIS = 50;

    /** A spawned child waiting to be watched, and when it was registered. */
    private record Pending(ChildProcess child, long registeredNanos) {
    }

    private final ConcurrentLinkedQueue<Pending> incoming = new ConcurrentLinkedQueue<>();
    /** True while the reaper thread blocks with no timeout: only then does a new child need a wake-up. */
    private final AtomicBoolean idle = new AtomicBoolean();
    /** Someone waits on onExit(): watch every pending child now, not after the grace period. */
    private final AtomicBoolean urgent = new AtomicBoolean();
    private final Fd wakeRead;
    private final Fd wakeWrite;
    private final ReentrantLock idleLock = new ReentrantLock();
    private final Condition childAdded = idleLock.newCondition();

    private Reaper(boolean ownAllMode, Consumer<WaitStatus> unknownChildListener) {
        this.ownAllMode = ownAllMode;
        this.unknownChildListener = unknownChildListener;
        try {
            PosixFiles.Pipe p = PosixFiles.pipe(true);
            wakeRead = p.readEnd();
            wakeWrite = p.writeEnd();
        } catch (PosixException e) {
            throw new IllegalStateException("cannot create the reaper's wake-up pipe", e);
        }
        Thread t = new Thread(ownAllMode ? this::runOwnAll : this::runPidfdLoop,
                ownAllMode ? "daemonkit-reaper-all" : "daemonkit-reaper");
        t.setDaemon(true);
        t.start();
    }

    /** The default reaper: only daemonkit's own children, via their pidfds. */
    public static Reaper shared() {
        Reaper r = ownAll != null ? ownAll : shared;
        if (r == null) {
            synchronized (Reaper.class) {
                r = ownAll != null ? ownAll : shared;
                if (r == null) {
                    r = shared = new Reaper(false, null);
                }
            }
        }
        return r;
    }

    /**
     * The one call for an application that is itself PID 1 in a container (or a subreaper): reaps
     * every orphan the process inherits, in-process, for as long as the JVM runs, so none stays a
     * zombie; adopted orphans are logged at DEBUG. {@link ProcessBuilder} children keep their
     * exit values: the JDK reaps them itself. Idempotent; same as {@code ownAllChildren(null)}
     * plus the logging.
     */
    public static Reaper reapOrphans() {
        return ownAllChildren(null);
    }

    /**
     * Switches this JVM to own-all-children mode (idempotent) and returns that reaper; from now on
     * it is also {@link #shared()}. ProcessBuilder children in the same JVM keep their exit values.
     *
     * @param unknownChildListener gets the status of each reaped child daemonkit did not spawn
     *                             (adopted orphans); may be null
     */
    public static synchronized Reaper ownAllChildren(Consumer<WaitStatus> unknownChildListener) {
        if (ownAll == null) {
            Consumer<WaitStatus> listener = unknownChildListener != null ? unknownChildListener
                    : st -> LOG.debug("reaped adopted child: {}", st);
            ownAll = new Reaper(true, listener);
            LOG.debug("reaping all children with waitpid(-1) from now on");
        }
        return ownAll;
    }

    /** Whether this reaper collects every child of the process (waitpid(-1)). */
    public boolean ownsAllChildren() {
        return ownAllMode;
    }

    /** Number of spawned children whose status is not yet known. */
    public static int liveChildren() {
        return LIVE.size();
    }

    Lock spawnLock() {
        return SPAWN_LOCK.readLock();
    }

    void register(ChildProcess c) {
        LIVE.put(c.pid(), c);
        if (ownAllMode) {
            idleLock.lock();
            try {
                childAdded.signalAll();
            } finally {
                idleLock.unlock();
            }
            return;
        }
        if (c.hasPidfd()) {
            incoming.add(new Pending(c, System.nanoTime()));
            if (idle.compareAndSet(true, false)) {
                wake();
            }
        } else {
            startFallbackWaiter(c);
        }
    }

    /** Called when someone waits for the future: the reaper thread must watch the child now. */
    void expedite(ChildProcess c) {
        if (!ownAllMode && !c.isWatched() && !c.isDone() && c.hasPidfd()) {
            urgent.set(true);
            idle.set(false);
            wake();
        }
    }

    static void deregister(ChildProcess c) {
        LIVE.remove(c.pid(), c);
    }

    /** One byte for wake-ups, allocated once: a write per spawn needs no allocation. */
    private static final MemorySegment WAKE_BYTE = Arena.global().allocate(1);

    private void wake() {
        try {
            PosixFiles.write(wakeWrite, WAKE_BYTE, 1);
        } catch (PosixException e) {
            // EAGAIN: the pipe is full of wake-ups already; the loop will run anyway.
        }
    }

    // ------------------------------------------------------------ pidfd mode

    private void runPidfdLoop() {
        try (Arena arena = Arena.ofConfined()) {
            PollSet set = new PollSet(arena);
            while (true) {
                pollOnce(set);
            }
        } catch (Throwable t) {
            LOG.error("the reaper thread failed; children may stay zombies until the JVM exits", t);
        }
    }

    /** The reaper thread's poll state: the watched children and their pollfd array. */
    private static final class PollSet {
        final List<ChildProcess> watched = new ArrayList<>();
        final MemorySegment drain;
        final PollFds fds;

        PollSet(Arena arena) {
            this.drain = arena.allocate(256);
            this.fds = new PollFds(arena, 64);
        }
    }

    /**
     * One round of the reaper thread: adopt pending children, poll, reap. A method of its own, not
     * the body of the endless loop, so that the JIT compiles it after a few hundred rounds; a loop
     * that turns a few dozen times a second would otherwise stay in the interpreter for minutes.
     */
    private void pollOnce(PollSet set) throws PosixException {
        List<ChildProcess> watched = set.watched;
        int timeout = adoptIncoming(watched);
        int n = watched.size() + 1;
        PollFds fds = set.fds;
        fds.ensureCapacity(n);
        fds.set(0, wakeRead);
        for (int i = 0; i < watched.size(); i++) {
            fds.set(i + 1, watched.get(i).rawPidfd());
        }
        if (timeout < 0) {
            // Block without a timeout only once spawners know they must wake us.
            idle.set(true);
            if (!incoming.isEmpty() || urgent.get()) {
                idle.set(false);
                return;
            }
        }
        int ready = fds.poll(n, timeout);
        idle.set(false);
        if (ready <= 0) {
            return;
        }
        if (fds.ready(0)) {
            // One read empties the pipe unless it held a full buffer of wake-ups; reading until
            // EAGAIN would throw (and fill in a stack trace) on every wake-up.
            try {
                while (PosixFiles.read(wakeRead, set.drain, set.drain.byteSize()) == set.drain.byteSize()) {
                    // more wake-ups may be queued
                }
            } catch (PosixException e) {
                // EAGAIN: drained
            }
        }
        List<ChildProcess> done = null;
        for (int i = 0; i < watched.size(); i++) {
            if (fds.ready(i + 1)) {
                ChildProcess c = watched.get(i);
                if (reapByPidfd(c)) {
                    if (done == null) {
                        done = new ArrayList<>();
                    }
                    done.add(c);
                }
            }
        }
        if (done != null) {
            for (ChildProcess c : done) {
                watched.remove(c);
                c.releasePidfd();
            }
        }
    }

    /**
     * Moves pending children into the watched list: all of them once the oldest has waited the
     * grace period (or on an urgent request), skipping those already reaped by their waiter.
     *
     * @return the poll timeout in ms until the next adoption is due, or -1 if nothing is pending
     */
    private int adoptIncoming(List<ChildProcess> watched) {
        Pending oldest = incoming.peek();
        if (oldest == null) {
            urgent.set(false);
            return -1;
        }
        // poll's timeout may end a little early: within a millisecond of the grace period counts,
        // rather than one more round of sleeping 1 ms.
        long dueInNanos = GRACE_MILLIS * 1_000_000 - (System.nanoTime() - oldest.registeredNanos());
        if (!urgent.getAndSet(false) && dueInNanos > 1_000_000) {
            return (int) ((dueInNanos + 999_999) / 1_000_000);
        }
        for (Pending p; (p = incoming.poll()) != null; ) {
            ChildProcess c = p.child();
            // A thread blocked in waitFor() reaps its child itself, always: no need to watch it.
            if (!c.hasWaiter() && c.acquirePidfd()) {
                c.markWatched();
                watched.add(c);
            }
        }
        return -1;
    }

    /** True when the child is done (reaped here or elsewhere) or is being reaped by its waiter. */
    private static boolean reapByPidfd(ChildProcess c) {
        if (c.hasWaiter()) {
            return true; // racing it for the status would only make one of us fail with ECHILD
        }
        try {
            WaitStatus s = Posix.waitidPidfd(c.rawPidfd(), c.pid(), Posix.WNOHANG);
            if (s.isTerminated()) {
                c.complete(s);
                return true;
            }
            return c.isDone();
        } catch (PosixException e) {
            if (e.errno() == Errno.ECHILD) {
                return true; // a waiter reaped it and completes the future itself
            }
            LOG.warn("waitid on pid {} failed: {}", c.pid(), e.getMessage());
            return true;
        }
    }

    private static void startFallbackWaiter(ChildProcess c) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    WaitStatus s = Posix.waitpid(c.pid(), 0);
                    if (s.isTerminated()) {
                        c.complete(s);
                        return;
                    }
                }
            } catch (PosixException e) {
                LOG.warn("waitpid({}) failed: {}", c.pid(), e.getMessage());
            }
        }, "daemonkit-reaper-" + c.pid());
        t.setDaemon(true);
        t.start();
    }

    // ------------------------------------------------------------ own-all mode

    private void runOwnAll() {
        new OwnAllLoop(new OwnAllLoop.Owner() {
            @Override
            public ChildProcess live(int pid) {
                SPAWN_LOCK.writeLock().lock(); // a pid just spawned is registered before we look it up
                try {
                    return LIVE.get(pid);
                } finally {
                    SPAWN_LOCK.writeLock().unlock();
                }
            }

            @Override
            public void reapedUnknown(WaitStatus status) {
                if (unknownChildListener != null) {
                    unknownChildListener.accept(status);
                }
            }

            @Override
            public boolean awaitChildren() {
                // No children at all: none can be adopted either until one is spawned (by us,
                // or by ProcessBuilder, which does not tell us: hence the timeout).
                idleLock.lock();
                try {
                    childAdded.awaitNanos(1_000_000_000L);
                    return true;
                } catch (InterruptedException ie) {
                    return false;
                } finally {
                    idleLock.unlock();
                }
            }
        }).run();
    }
}
