package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every libc function goes through one downcall shape of six machine words ({@link Native}): the
 * cases where that could go wrong if the words were not what C expects — negative ints, results
 * narrower than a word, the variadic functions, six-word calls, pointers — and the checks a raw
 * address would otherwise skip.
 */
class OneShapeTest {
    @Test
    void onlyTheForkBaselinesDeclareADescriptorOfTheirOwn() throws Exception {
        // A binding with a descriptor of its own costs every command that calls it a stub class
        // and a dozen lambda forms at start-up; checked in the class files.
        Path classes = Path.of(System.getProperty("daemonkit.test.classpath", "target/classes"))
                .resolve("dev/daemonkit/internal/libc");
        Set<String> allowed = Set.of("Native$Words.class", "Native.class", "Forks$handles.class", "VforkExit.class");
        List<String> offenders = new ArrayList<>();
        int checked = 0;
        try (Stream<Path> all = Files.list(classes)) {
            for (Path c : (Iterable<Path>) all.filter(p -> p.toString().endsWith(".class"))::iterator) {
                checked++;
                String name = c.getFileName().toString();
                if (!allowed.contains(name) && new String(Files.readAllBytes(c), StandardCharsets.ISO_8859_1)
                        .contains("java/lang/foreign/FunctionDescriptor")) {
                    offenders.add(name);
                }
            }
        }
        assertTrue(checked > 40, "looked at " + checked + " classes");
        assertEquals(List.of(), offenders, "bindings linked with a descriptor of their own");
    }

    @Test
    void aNegativeIntAndAMinusOneResultKeepTheirSign() {
        // kill(-pgid, 0): a process group that does not exist; close(-1): EBADF.
        PosixException e = assertThrows(PosixException.class, () -> Signals.kill(-2_000_000_000, 0));
        assertEquals(Errno.ESRCH, e.errno(), e.getMessage());
        e = assertThrows(PosixException.class, () -> Unistd.close(-1));
        assertEquals(Errno.EBADF, e.errno(), e.getMessage());
        assertEquals("close(-1)", e.call());
    }

    @Test
    void byteCountsComeBackAsWholeWords() throws Exception {
        int[] p = Unistd.pipe2(Abi.O_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocateFrom("twelve bytes");
            assertEquals(12, Unistd.write(p[1], out, 12));
            MemorySegment in = a.allocate(64);
            assertEquals(12, Unistd.read(p[0], in, 64));
            assertEquals("twelve bytes", in.getString(0));
            Unistd.close(p[1]);
            assertEquals(0, Unistd.read(p[0], in, 64), "end of file");
        } finally {
            Unistd.close(p[0]);
        }
    }

    @Test
    void variadicFunctionsGetTheirVariadicWord(@TempDir Path dir) throws Exception {
        // open's mode and fcntl's argument are read through va_arg.
        Path file = dir.resolve("made");
        int fd = Fcntl.open(file.toString(), Abi.O_WRONLY | Abi.O_CREAT | Abi.O_EXCL | Abi.O_CLOEXEC, 0600);
        try {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals(Abi.FD_CLOEXEC, Fcntl.fcntl(fd, Abi.F_GETFD, 0));
            Fcntl.fcntl(fd, Abi.F_SETFD, 0);
            assertEquals(0, Fcntl.fcntl(fd, Abi.F_GETFD, 0));
        } finally {
            Unistd.close(fd);
        }
        // prctl: name the calling thread, read the name back (16 bytes with the NUL).
        try (Arena a = Arena.ofConfined()) {
            MemorySegment old = a.allocate(16);
            Sys.prctl(Abi.PR_GET_NAME, old.address(), 0, 0, 0);
            try {
                Sys.prctl(Abi.PR_SET_NAME, a.allocateFrom("one-shape").address(), 0, 0, 0);
                MemorySegment now = a.allocate(16);
                Sys.prctl(Abi.PR_GET_NAME, now.address(), 0, 0, 0);
                assertEquals("one-shape", now.getString(0));
            } finally {
                Sys.prctl(Abi.PR_SET_NAME, old.address(), 0, 0, 0);
            }
        }
    }

    @Test
    void aPointerResultIsReadBack() {
        assertEquals("No such file or directory", Native.strerror(2));
    }

    @Test
    void pointersAreCheckedAsTheLinkerWouldCheckThem() throws Exception {
        assertEquals(0, Native.address(MemorySegment.NULL));
        MemorySegment heap = MemorySegment.ofArray(new byte[8]);
        assertThrows(IllegalArgumentException.class, () -> Native.address(heap));
        int[] p = Unistd.pipe2(Abi.O_CLOEXEC);
        try {
            // Through a binding: refused before the call, and nothing is read into a heap array.
            assertThrows(IllegalArgumentException.class, () -> Unistd.write(p[1], heap, 8));
            MemorySegment closed;
            try (Arena a = Arena.ofConfined()) {
                closed = a.allocate(JAVA_INT);
                closed.set(JAVA_BYTE, 0, (byte) 'x');
            }
            assertThrows(IllegalStateException.class, () -> Unistd.write(p[1], closed, 1));
        } finally {
            Unistd.close(p[0]);
            Unistd.close(p[1]);
        }
    }
}
