package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Processes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code ./daemonkit} script in a copy of the project (it runs Maven there): a daemon started
 * from target/daemonkit.jar keeps serving while the script rebuilds the jar, and a missing, stale
 * or broken AOT cache never shows on the terminal.
 */
class LauncherScriptTest {
    private static Path project;
    private static final List<Path> PIDFILES = new ArrayList<>();
    private static final List<Long> PIDS = new ArrayList<>();

    /** One copy and one first build for all tests: Maven takes seconds to tens of seconds. */
    @BeforeAll
    static void copyAndBuild() throws Exception {
        project = Files.createTempDirectory("daemonkit-script-");
        copyProject(projectRoot(), project);
        Cli.Result r = script(Map.of(), "version");
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.stdout().startsWith("daemonkit "), r.all());
        assertTrue(Files.isRegularFile(project.resolve("target/daemonkit.jar")), r.all());
    }

    @AfterAll
    static void cleanUp() throws Exception {
        for (Path p : PIDFILES) {
            Processes.readPid(p).ifPresent(PIDS::add);
        }
        PIDS.forEach(Processes::killAndWait);
        if (project != null) {
            deleteTree(project);
        }
    }

    @Test
    void aDaemonRunningFromTheJarKeepsServingWhileTheScriptRebuildsIt() throws Exception {
        Path www = Files.createDirectories(project.resolve("www/docs"));
        Files.writeString(www.getParent().resolve("index.html"), "<h1>before</h1>");
        Files.writeString(www.resolve("notes.txt"), "after\n");
        Path pidfile = project.resolve("serve.pid");
        Path log = project.resolve("serve.log");
        PIDFILES.add(pidfile);
        int port = Processes.freeLoopbackPort();
        Cli.Result start = script(Map.of(), "serve", "--root", "www", "--port", Integer.toString(port),
                "--pidfile", pidfile.toString(), "--log", log.toString());
        assertEquals(0, start.exitCode(), start.all());
        long pid = Processes.readPid(pidfile).orElseThrow();
        PIDS.add(pid);
        assertEquals(200, get(port, "/index.html").statusCode());
        String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
        assertTrue(cmdline.contains("-XX:AOTCache=") || cmdline.contains("-XX:SharedArchiveFile="),
                "the daemon runs with the jar's cache: " + cmdline);

        // An edit to any source makes the next command rebuild the jar under the running daemon.
        Path jar = project.resolve("target/daemonkit.jar");
        Object oldJar = Files.readAttributes(jar, BasicFileAttributes.class).fileKey();
        Path source = project.resolve("cli/src/main/java/dev/daemonkit/cli/VersionCommand.java");
        Files.setLastModifiedTime(source, FileTime.from(Instant.now()));
        // Two commands at once: one builds, the other waits for it instead of building into the
        // same target/ at the same time, and both run the new jar.
        CompletableFuture<Cli.Result> first = CompletableFuture.supplyAsync(() -> scriptUnchecked("version"));
        CompletableFuture<Cli.Result> second = CompletableFuture.supplyAsync(() -> scriptUnchecked("version"));
        Cli.Result a = first.get();
        Cli.Result b = second.get();
        assertEquals(0, a.exitCode(), a.all());
        assertEquals(0, b.exitCode(), b.all());
        assertTrue(a.stdout().startsWith("daemonkit ") && b.stdout().startsWith("daemonkit "), a.all() + b.all());
        long builds = Stream.of(a, b).filter(r -> r.stderr().contains("building target/daemonkit.jar")).count();
        assertEquals(1, builds, "one build for two commands:\n" + a.all() + "\n" + b.all());
        assertFalse(oldJar.equals(Files.readAttributes(jar, BasicFileAttributes.class).fileKey()),
                "a new file (inode) took the jar's name; the old one is still open in the daemon");

        // Paths the daemon had not taken before the rebuild load classes now: from its own jar.
        HttpResponse<String> again = get(port, "/index.html");
        assertEquals(200, again.statusCode(), again.body());
        assertEquals("<h1>before</h1>", again.body());
        assertEquals(404, get(port, "/missing.txt").statusCode());
        HttpResponse<String> other = get(port, "/docs/notes.txt");
        assertEquals(200, other.statusCode(), other.body());
        assertEquals("after\n", other.body());
        assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> read(log).contains("/missing.txt")), read(log));

        Cli.Result stop = script(Map.of(), "stop", "--pidfile", pidfile.toString(), "--timeout", "20s");
        assertEquals(0, stop.exitCode(), stop.all());
        assertFalse(stop.stdout().contains("SIGKILL"), "stopped by SIGTERM, not killed: " + stop.all());
        assertFalse(Processes.alive(pid));
        String logText = read(log);
        assertFalse(logText.contains("NoClassDefFoundError") || logText.contains("ClassNotFoundException")
                || logText.contains("ZipException"), logText);
        assertTrue(logText.contains("stopped"), logText);
    }

    @Test
    void aMissingStaleOrBrokenCacheNeverShowsAndTheCommandStillRuns() throws Exception {
        assertQuietVersion(Map.of());
        Optional<Path> cache = cacheFile();
        if (cache.isEmpty()) {
            // No cache for this JDK: nothing more to check here, and it must not be an error.
            return;
        }
        Path jar = project.resolve("target/daemonkit.jar");

        Files.delete(cache.get());
        assertQuietVersion(Map.of());
        assertTrue(Files.isRegularFile(cache.get()), "a missing cache is built again");

        // Stale: the jar is newer than the cache (as after a build by ./mvnw directly).
        Files.setLastModifiedTime(cache.get(),
                FileTime.from(Files.getLastModifiedTime(jar).toInstant().minusSeconds(60)));
        assertQuietVersion(Map.of());
        assertFalse(Files.getLastModifiedTime(jar).compareTo(Files.getLastModifiedTime(cache.get())) > 0,
                "a stale cache is built again");

        // Broken but not older than the jar: the JVM refuses it, silently.
        Files.writeString(cache.get(), "not an AOT cache\n");
        assertQuietVersion(Map.of());

        // Switched off: runs without one and builds none.
        Files.delete(cache.get());
        assertQuietVersion(Map.of("DAEMONKIT_AOT", "0"));
        assertFalse(Files.exists(cache.get()));
        assertQuietVersion(Map.of());
        assertTrue(Files.isRegularFile(cache.get()));
    }

    private static void assertQuietVersion(Map<String, String> env) throws Exception {
        Cli.Result r = script(env, "version");
        assertEquals(0, r.exitCode(), r.all());
        assertEquals("", r.stderr(), "nothing on stderr");
        assertTrue(r.stdout().startsWith("daemonkit "), r.all());
        assertTrue(r.stdout().contains("java "), r.all());
    }

    /** The cache `version` runs with: the quick one. */
    private static Optional<Path> cacheFile() throws IOException {
        try (Stream<Path> s = Files.list(project.resolve("target"))) {
            return s.filter(p -> p.getFileName().toString().matches("daemonkit-.*-quick\\.aot")).findFirst();
        }
    }

    @Test
    void aSupervisorStartedThroughTheScriptRunsWithTheLongRunningOptionsAndWorks() throws Exception {
        Path pidfile = project.resolve("sv.pid");
        PIDFILES.add(pidfile);
        Cli.Result start = script(Map.of(), "supervise", "--pidfile", pidfile.toString(), "--", "sleep", "60");
        assertEquals(0, start.exitCode(), start.all());
        long pid = Processes.readPid(pidfile).orElseThrow();
        PIDS.add(pid);
        String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
        // Interpreted, small heap, trimmed malloc, no wait at exit for threads blocked in a system
        // call (README: Start-up time and footprint).
        assertTrue(cmdline.contains(" -Xint ") && cmdline.contains(" -Xmx64m ")
                && cmdline.contains(" -XX:TrimNativeHeapInterval=")
                && cmdline.contains(" -XX:UserThreadWaitAttemptsAtExit=0 "), cmdline);
        assertTrue(Processes.eventually(Duration.ofSeconds(10),
                () -> scriptUnchecked("ctl", "--pidfile", pidfile.toString(), "status").stdout().contains("RUNNING")));
        Cli.Result restart = script(Map.of(), "ctl", "--pidfile", pidfile.toString(), "restart", "sleep");
        assertEquals(0, restart.exitCode(), restart.all());
        Cli.Result stop = script(Map.of(), "stop", "--pidfile", pidfile.toString());
        assertEquals(0, stop.exitCode(), stop.all());
        assertTrue(Processes.eventually(Duration.ofSeconds(10), () -> !Processes.alive(pid)), "the supervisor exited");
    }

    @Test
    void eachCommandStartsFromTheCacheMadeForIt() throws Exception {
        if (cacheFile().isEmpty()) {
            return; // no AOT cache for this JDK (checked quiet in the test above)
        }
        Path missing = project.resolve("missing.pid");
        Path present = Files.writeString(project.resolve("present.pid"), "2147483646\n");
        try {
            assertEquals("-quick", cacheUsed("version"));
            assertEquals("-quick", cacheUsed("--help"));
            assertEquals("-quick", cacheUsed("status", "--pidfile", missing.toString()));
            assertEquals("-quick", cacheUsed("stop", "--pidfile=" + missing));
            assertEquals("-ctl", cacheUsed("ctl", "--pidfile", missing.toString(), "status"));
            // A pidfile that exists: the command calls native functions, which only the full one holds.
            assertEquals("", cacheUsed("status", "--pidfile", present.toString()));
            assertEquals("", cacheUsed("stop", "--pidfile=" + present));
            assertEquals("", cacheUsed("ps"));
        } finally {
            Files.deleteIfExists(present);
        }
    }

    /** Which cache ./daemonkit gave the JVM for this command line: "-quick", "-ctl" or "" (full). */
    private static String cacheUsed(String... args) throws Exception {
        Cli.Result r = script(Map.of("DAEMONKIT_JAVA_OPTS", "-Xlog:aot=info,cds=info:stderr"), args);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("target/daemonkit-[^ /]*?(-quick|-ctl)?\\.aot")
                .matcher(r.stderr());
        assertTrue(m.find(), String.join(" ", args) + " used no cache:\n" + r.all());
        return m.group(1) == null ? "" : m.group(1);
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static Cli.Result scriptUnchecked(String... args) {
        try {
            return script(Map.of(), args);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs ./daemonkit in the copy; a build may take minutes on a loaded machine. */
    private static Cli.Result script(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(project.resolve("daemonkit").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(project.toFile());
        // What the surrounding Maven build or a developer's shell may have set would leak in.
        for (String v : List.of("MAVEN_ARGS", "MAVEN_OPTS", "MAVEN_PROJECTBASEDIR", "MAVEN_CMD_LINE_ARGS",
                "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "DAEMONKIT_JAVA_OPTS", "DAEMONKIT_AOT")) {
            pb.environment().remove(v);
        }
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().putAll(env);
        return Cli.exec(pb, Duration.ofMinutes(10));
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    /** The directory holding ./daemonkit and mvnw: the test's working directory or above it. */
    private static Path projectRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isExecutable(d.resolve("daemonkit")) && Files.isExecutable(d.resolve("mvnw"))) {
                return d;
            }
        }
        throw new IllegalStateException("no ./daemonkit above " + Path.of("").toAbsolutePath());
    }

    /** Copies the project without build output and .git, keeping modes and times. */
    private static void copyProject(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                if (!dir.equals(from) && (name.equals("target") || name.equals(".git"))) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (!file.getFileName().toString().equals(".git")) {
                    Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
