package dev.daemonkit.daemon;

import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Users;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ResolvedModule;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Before a JVM drops to another user, what it will load afterwards must still be loadable: the
 * JDK opens a class-path or module-path jar once and keeps it open, but reads a class-path
 * <em>directory</em> file by file, as whoever the process is by then. So every jar is opened now
 * (harmless if already open), and every directory — with its ancestors — must be readable by the
 * target user; otherwise the drop is refused before it happens, naming the path, instead of the
 * daemon dying later with a ClassNotFoundException (a clone under a 0700 home directory).
 *
 * <p>Permissions are checked from the mode bits, owner and the user's groups (ACLs are not read).
 */
final class ClassPathAccess {
    private ClassPathAccess() {
    }

    /**
     * Opens every jar of the class and module path and checks that every directory on them, and
     * the JDK, are readable by the account.
     *
     * @throws IOException naming the first path the account cannot read
     */
    static void ensureLoadable(Privileges.Account account) throws IOException {
        touchDaemonkitClasses();
        forceOpenJars();
        if (account.uid() == 0) {
            return;
        }
        Set<Integer> groups = groupsOf(account);
        List<Path> mustRead = new ArrayList<>();
        mustRead.add(Path.of(System.getProperty("java.home")));
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!entry.isEmpty() && Files.isDirectory(Path.of(entry))) {
                mustRead.add(Path.of(entry));
            }
        }
        for (ResolvedModule m : ModuleLayer.boot().configuration().modules()) {
            m.reference().location().filter(u -> u.getScheme().equals("file")).map(Path::of)
                    .filter(Files::isDirectory).ifPresent(mustRead::add);
        }
        for (Path p : mustRead) {
            String why = unreadable(p.toAbsolutePath().normalize(), account.uid(), groups);
            if (why != null) {
                throw new IOException("cannot switch to user " + account.user() + ": " + why + ". The JVM reads classes"
                        + " from " + p + " after the switch; put the application where " + account.user()
                        + " can read it (e.g. /opt) or run it from a jar");
            }
        }
    }

    /** Classes used while and right after dropping: loaded now, while the files are still readable. */
    private static void touchDaemonkitClasses() {
        dev.daemonkit.posix.Errno.values();
        new PosixException("preload", 1, "preload").getMessage();
    }

    /** Asking every class-path entry for a resource makes the JDK open each jar and keep it open. */
    private static void forceOpenJars() throws IOException {
        ClassLoader cl = ClassLoader.getSystemClassLoader();
        var e = cl.getResources("META-INF/daemonkit-preload-probe");
        while (e.hasMoreElements()) {
            e.nextElement();
        }
        for (Module m : ModuleLayer.boot().modules()) {
            try (InputStream in = m.getResourceAsStream("module-info.class")) {
                // opened through the module's reader, which the JDK keeps
            } catch (IOException ignored) {
                // a module without a reader of its own (the JDK's): nothing to open
            }
        }
    }

    private static Set<Integer> groupsOf(Privileges.Account a) throws PosixException {
        Set<Integer> gids = new HashSet<>();
        gids.add(a.gid());
        if (!a.user().chars().allMatch(Character::isDigit)) {
            for (int g : Users.groupsOf(a.user(), a.gid())) {
                gids.add(g);
            }
        }
        return gids;
    }

    /** Why {@code uid} cannot read {@code p} (or search an ancestor), or null when it can. */
    static String unreadable(Path p, int uid, Set<Integer> groups) {
        List<Path> chain = new ArrayList<>();
        for (Path q = p; q != null; q = q.getParent()) {
            chain.add(0, q);
        }
        for (int i = 0; i < chain.size(); i++) {
            Path q = chain.get(i);
            boolean last = i == chain.size() - 1;
            int mode;
            int owner;
            int group;
            try {
                mode = (Integer) Files.getAttribute(q, "unix:mode");
                owner = (Integer) Files.getAttribute(q, "unix:uid");
                group = (Integer) Files.getAttribute(q, "unix:gid");
            } catch (IOException | RuntimeException e) {
                return "cannot check " + q + " (" + e.getMessage() + ")";
            }
            int bits = owner == uid ? (mode >> 6) & 7 : groups.contains(group) ? (mode >> 3) & 7 : mode & 7;
            boolean dir = Files.isDirectory(q, LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(q);
            int need = last ? (dir ? 5 : 4) : 1; // read (and search) the entry itself, search its ancestors
            if ((bits & need) != need) {
                return q + " (mode " + String.format("%04o", mode & 07777) + ", owner uid " + owner
                        + ") is not " + (need == 1 ? "searchable" : "readable") + " by uid " + uid;
            }
        }
        return null;
    }
}
