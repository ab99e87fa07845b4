package dev.daemonkit.process;

import dev.daemonkit.posix.FileActions;
import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * posix_spawn_file_actions_t objects for spawns whose file actions are fixed: no pipes and no
 * passed descriptors (which need fresh descriptors per spawn), only inherited stdio, /dev/null or
 * other files by absolute path, duplicated descriptors and a working directory. posix_spawn only
 * reads its file actions, so one object built once serves every such spawn, from any thread, and
 * a spawn makes no file-action calls. At most {@link #MAX_CACHED} distinct settings are kept; past
 * that, the caller builds its own per spawn.
 */
final class SpawnFileActions {
    private SpawnFileActions() {
    }

    static final int MAX_CACHED = 64;

    /** What a fixed set of file actions encodes. */
    record Settings(Redirect stdin, Redirect stdout, Redirect stderr, boolean mergeStderr, String directory) {

        /** The settings of a spawn whose file actions are fixed, or null when they are not. */
        static Settings of(Redirect in, Redirect out, Redirect err, boolean merge, boolean passesFds, String dir) {
            if (passesFds || !fixed(in) || !fixed(out) || (!merge && !fixed(err))) {
                return null;
            }
            return new Settings(in, out, merge ? null : err, merge, dir);
        }

        private static boolean fixed(Redirect r) {
            return switch (r) {
                case Redirect.Inherit i -> true;
                case Redirect.Fd f -> true;
                case Redirect.ToFile t -> t.file().isAbsolute();
                case Redirect.Pipe p -> false;
            };
        }
    }

    /** Fills a freshly initialised file-actions object; must create no descriptor for fixed settings. */
    @FunctionalInterface
    interface Builder {
        void build(FileActions fileActions) throws PosixException;
    }

    private static final Map<Settings, FileActions> CACHE = new ConcurrentHashMap<>();

    /** The shared file actions for these settings, built on first use; null once the cache is full. */
    static FileActions of(Settings s, Builder builder) throws PosixException {
        FileActions cached = CACHE.get(s);
        if (cached != null || CACHE.size() >= MAX_CACHED) {
            return cached;
        }
        FileActions fa = new FileActions(Arena.global());
        builder.build(fa);
        FileActions raced = CACHE.putIfAbsent(s, fa);
        if (raced != null) {
            fa.close();
            return raced;
        }
        return fa;
    }
}
