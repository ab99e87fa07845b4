package dev.daemonkit.process;

import java.nio.file.Path;

/**
 * Where a child's standard stream goes: {@link #INHERIT} (the parent's), {@link #NULL}
 * (/dev/null), a file (truncated or appended), a {@link #PIPE} to the parent, or an existing
 * descriptor of the parent.
 */
public sealed interface Redirect {

    /** The parent's own descriptor (the default). */
    Redirect INHERIT = new Inherit();
    /** /dev/null. */
    Redirect NULL = new ToFile(Path.of("/dev/null"), false);
    /** A pipe to the parent, read or written through {@link ChildProcess}. */
    Redirect PIPE = new Pipe();

    /** A file opened for writing, created 0644 if missing, truncated. For stdin: opened for reading. */
    static Redirect toFile(Path file) {
        return new ToFile(file, false);
    }

    /** A file opened for appending, created 0644 if missing: what daemons do with their log. */
    static Redirect appendTo(Path file) {
        return new ToFile(file, true);
    }

    /** An existing descriptor of this process, duplicated into the child. */
    static Redirect fd(int fd) {
        return new Fd(fd);
    }

    /** See {@link #INHERIT}. */
    record Inherit() implements Redirect {
    }

    /** See {@link #PIPE}. */
    record Pipe() implements Redirect {
    }

    /** See {@link #toFile} and {@link #appendTo}. */
    record ToFile(Path file, boolean append) implements Redirect {
    }

    /** See {@link #fd}. */
    record Fd(int fd) implements Redirect {
    }
}
