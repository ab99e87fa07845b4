package dev.daemonkit.cli;

import static dev.daemonkit.testkit.Processes.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Leftovers;
import dev.daemonkit.testkit.Processes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's logrotate snippet, run by the real logrotate (Debian package logrotate) against a
 * detached {@code daemonkit serve}: its postrotate {@code daemonkit reopen-logs} makes the daemon
 * write new lines to a new log while the rotated file keeps the old ones.
 */
class ReadmeLogrotateTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final Leftovers leftovers = new Leftovers();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Optional<Path> logrotate() {
        return Stream.of("/usr/sbin/logrotate", "/sbin/logrotate", "/usr/bin/logrotate").map(Path::of)
                .filter(Files::isExecutable).findFirst();
    }

    @Test
    void postrotateReopenLogsSendsNewLinesToTheNewFile() throws Exception {
        Optional<Path> logrotate = logrotate();
        assumeTrue(logrotate.isPresent(), "logrotate is not installed (Debian package logrotate; .ci/run installs it "
                + "when it runs as root)");
        List<Readme.Marked> snippets = Readme.marked("logrotate");
        assertEquals(1, snippets.size(), "README.md shows one logrotate snippet after <!-- logrotate: ... -->");
        String snippet = snippets.get(0).block().text();

        Path www = Files.createDirectory(dir.resolve("www"));
        Files.writeString(www.resolve("index.html"), "hello\n");
        Path pidfile = dir.resolve("files.pid");
        Path log = dir.resolve("files.log");
        int port = Processes.freeLoopbackPort();
        leftovers.stop(pidfile);
        Cli.Result started = Cli.run("serve", "--root", www.toString(), "--port", Integer.toString(port),
                "--pidfile", pidfile.toString(), "--log", log.toString());
        assertEquals(0, started.exitCode(), started.all());
        Processes.readPid(pidfile).ifPresent(leftovers::kill);

        for (int i = 0; i < 5; i++) {
            assertEquals(404, get(port, "/before-" + i));
        }
        assertTrue(eventually(Duration.ofSeconds(5), () -> read(log).contains("/before-4 ")), read(log));

        // The snippet as the README shows it, with this test's files and its own daemonkit command.
        String config = snippet.replace("/var/log/files.log", log.toString())
                .replace("/run/files.pid", pidfile.toString())
                .replace("/opt/daemonkit/daemonkit", daemonkitCommand().toString());
        assertFalse(config.equals(snippet), "the README's snippet names /var/log/files.log, /run/files.pid and "
                + "/opt/daemonkit/daemonkit");
        Path conf = Files.writeString(dir.resolve("files.logrotate"), config);
        Cli.Result rotated = Cli.exec(new ProcessBuilder(logrotate.get().toString(), "-v", "-f",
                "-s", dir.resolve("logrotate.state").toString(), conf.toString()), Duration.ofSeconds(60));
        assertEquals(0, rotated.exitCode(), config + "\n" + rotated.all());

        Path old = dir.resolve("files.log.1");
        assertTrue(Files.isRegularFile(old), "logrotate moved the log to files.log.1 (delaycompress): " + rotated.all());
        assertTrue(eventually(Duration.ofSeconds(5), () -> read(log).contains("reopened log files")),
                "the daemon reopened its log by path after postrotate: " + read(log));
        for (int i = 0; i < 5; i++) {
            assertEquals(404, get(port, "/after-" + i));
        }
        assertTrue(eventually(Duration.ofSeconds(5), () -> read(log).contains("/after-4 ")), read(log));

        String before = read(old);
        String after = read(log);
        for (int i = 0; i < 5; i++) {
            assertTrue(before.contains("/before-" + i + " "), before);
            assertFalse(after.contains("/before-" + i + " "), after);
            assertTrue(after.contains("/after-" + i + " "), after);
            assertFalse(before.contains("/after-" + i + " "), before);
        }
    }

    /** A stand-in for /opt/daemonkit/daemonkit: this build's CLI, as Cli runs it. */
    private Path daemonkitCommand() throws IOException {
        String command = Cli.command().stream().map(a -> "'" + a.replace("'", "'\\''") + "'")
                .collect(Collectors.joining(" "));
        Path script = dir.resolve("daemonkit");
        Files.writeString(script, "#!/bin/sh\nexec " + command + " \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    private int get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
