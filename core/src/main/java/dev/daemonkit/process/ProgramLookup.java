package dev.daemonkit.process;

import dev.daemonkit.posix.ByteStrings;
import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.FileStat;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finding the program to run as a shell would, and — when posix_spawn fails — saying why in a
 * shell's words. The checks run only after a failure: on the fast path posix_spawn itself reports
 * ENOENT/EACCES/ENOEXEC, and a spawn makes no file checks of its own.
 */
final class ProgramLookup {
    private ProgramLookup() {
    }

    /**
     * The path execvp would run: a name with a slash relative to the child's directory (or, without
     * one, to user.dir — absolute, because a daemonized JVM's kernel cwd is "/"); a bare name
     * looked up in the child's PATH.
     *
     * @throws ExecException "command not found" / "found in PATH but not executable"
     */
    static String resolve(String program, boolean searchPath, Path directory, String pathVariable) throws ExecException {
        if (program.contains("/") || !searchPath) {
            if (ByteStrings.hasRawBytes(program)) { // not a Path: joined as a string
                String base = (directory != null ? directory : Path.of("")).toAbsolutePath().toString();
                return program.startsWith("/") ? program : base + "/" + program;
            }
            Path p = directory != null ? directory.toAbsolutePath().resolve(program) : Path.of(program).toAbsolutePath();
            return p.toString();
        }
        String path = pathVariable == null || pathVariable.isEmpty() ? "/usr/local/bin:/usr/bin:/bin" : pathVariable;
        boolean sawNonExecutable = false;
        for (String dir : path.split(File.pathSeparator, -1)) {
            String base = dir.startsWith("/") ? dir : Path.of(dir).toAbsolutePath().toString(); // "" is "."
            String candidate = base + "/" + program;
            FileStat st = stat(candidate);
            if (st != null && st.isRegular()) {
                if (isExecutable(candidate, st)) {
                    return candidate;
                }
                sawNonExecutable = true;
            }
        }
        throw sawNonExecutable
                ? new ExecException(program, "found in PATH (" + path + ") but not executable", Errno.EACCES)
                : new ExecException(program, "command not found (PATH is " + path + ")", Errno.ENOENT);
    }

    /** Checks a program file the way the exec will, without running it; null when it looks runnable. */
    static ExecException check(String program, String file) {
        FileStat st = stat(file);
        if (st == null) {
            return !ByteStrings.hasRawBytes(file) && Files.isSymbolicLink(Path.of(file))
                    ? new ExecException(program, "is a dangling symbolic link", Errno.ENOENT)
                    : new ExecException(program, "no such file", Errno.ENOENT);
        }
        if (st.type() == FileStat.Type.DIRECTORY) {
            return new ExecException(program, "is a directory", Errno.EACCES);
        }
        if (!isExecutable(file, st)) {
            return new ExecException(program, "is not executable (chmod +x " + program + "?)", Errno.EACCES);
        }
        return ByteStrings.hasRawBytes(file) ? null : interpreterProblem(program, Path.of(file));
    }

    /** stat(2) of a path that may carry raw bytes; null when there is nothing (or nothing we may see). */
    private static FileStat stat(String path) {
        try {
            return PosixFiles.stat(path);
        } catch (PosixException e) {
            return null;
        }
    }

    /**
     * Whether we may execute it: access(2) through the JDK for an ordinary path; for one with raw
     * bytes (no Path), the permission bits as the kernel reads them for our effective ids.
     */
    private static boolean isExecutable(String path, FileStat st) {
        if (!ByteStrings.hasRawBytes(path)) {
            return Files.isExecutable(Path.of(path));
        }
        int mode = st.permissions();
        int euid = Posix.geteuid();
        if (euid == 0) {
            return (mode & 0111) != 0;
        }
        return euid == st.uid() ? (mode & 0100) != 0 : Posix.getegid() == st.gid() ? (mode & 0010) != 0 : (mode & 0001) != 0;
    }

    /**
     * posix_spawn failed: the errno (ENOENT, EACCES, ENOTDIR, ENOEXEC…) may come from the working
     * directory, a redirect file (stdin, stdout, stderr in {@code std}) or the exec. These checks,
     * kept off the fast path, name which one.
     */
    static PosixException explainSpawn(String program, String file, Path directory, Redirect[] std,
            PosixException failure) {
        if (directory != null && !Files.isDirectory(directory)) {
            return PosixException.of("chdir(" + directory + ") for the child",
                    Files.exists(directory) ? Errno.ENOTDIR : Errno.ENOENT);
        }
        for (int fd = 0; fd < 3; fd++) {
            if (std[fd] instanceof Redirect.ToFile t) {
                Path abs = t.file().toAbsolutePath();
                boolean missing = fd == 0 ? !Files.exists(abs) : abs.getParent() != null && !Files.isDirectory(abs.getParent());
                if (missing) {
                    return PosixException.of("open(" + abs + ") for " + (fd == 0 ? "stdin" : fd == 1 ? "stdout" : "stderr"),
                            Errno.ENOENT);
                }
            }
        }
        return explain(program, file, failure);
    }

    /**
     * Explains a failed posix_spawn of {@code file}: the program, its {@code #!} interpreter, or
     * an unknown format; the original failure when nothing better can be said.
     */
    static PosixException explain(String program, String file, PosixException failure) {
        ExecException e = check(program, file);
        if (e != null) {
            return e;
        }
        if (failure.errno() == Errno.ENOEXEC) {
            return new ExecException(program, "is not a program this system can run (no #! line, or a binary for"
                    + " another machine)", Errno.ENOEXEC);
        }
        return failure;
    }

    /** A {@code #!} line whose interpreter does not exist or cannot run; null otherwise. */
    private static ExecException interpreterProblem(String program, Path file) {
        String line;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(256);
            if (head.length < 2 || head[0] != '#' || head[1] != '!') {
                return null;
            }
            String text = new String(head, StandardCharsets.ISO_8859_1);
            int nl = text.indexOf('\n');
            line = (nl < 0 ? text : text.substring(0, nl)).strip();
        } catch (IOException e) {
            return null; // unreadable, yet executable: the exec may still work (execute-only)
        }
        String[] words = line.substring(2).strip().split("\\s+", 2);
        if (words[0].isEmpty()) {
            return new ExecException(program, "bad interpreter '" + line + "': no interpreter named", Errno.ENOEXEC);
        }
        Path interpreter = Path.of(words[0]);
        if (!Files.exists(interpreter)) {
            return new ExecException(program, "bad interpreter '" + line + "': " + words[0] + " does not exist",
                    Errno.ENOENT);
        }
        if (Files.isDirectory(interpreter) || !Files.isExecutable(interpreter)) {
            return new ExecException(program, "bad interpreter '" + line + "': " + words[0] + " is not executable",
                    Errno.EACCES);
        }
        return null;
    }
}
