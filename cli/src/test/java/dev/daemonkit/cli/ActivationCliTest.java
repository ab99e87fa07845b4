package dev.daemonkit.cli;

import static dev.daemonkit.testkit.Processes.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Processes;
import dev.daemonkit.testkit.Scripts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Socket activation both ways: serve under the real systemd-socket-activate, and supervise
 * --listen handing sockets to a program and keeping them while it restarts.
 */
class ActivationCliTest {
    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : started) {
            if (p.isAlive()) {
                Posix.kill((int) p.pid(), Signal.SIGTERM);
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            }
        }
    }

    private Process start(String logName, List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(logName).toFile())
                .start();
        started.add(p);
        return p;
    }

    @Test
    void serveRunsUnderSystemdSocketActivateOnTheSocketItIsGiven() throws Exception {
        String activate = SystemdTools.require("systemd-socket-activate");
        Path root = Files.createDirectories(dir.resolve("www"));
        Files.writeString(root.resolve("index.html"), "activated\n");
        int port = Processes.freeLoopbackPort();
        List<String> cmd = new ArrayList<>(List.of(activate, "-l", "127.0.0.1:" + port, "--fdname=http"));
        // --port 1: were the option used, binding would fail (privileged, and not the socket given).
        cmd.addAll(Cli.command("serve", "--root", root.toString(), "--port", "1"));
        start("activate.out", cmd);
        assertTrue(eventually(Duration.ofSeconds(20), () -> Scripts.textOf(dir.resolve("activate.out")).contains("Listening on")),
                "systemd-socket-activate listens: " + Scripts.textOf(dir.resolve("activate.out")));
        // The first connection makes systemd-socket-activate exec serve; it waits in the backlog meanwhile.
        String response = get(port, "/index.html");
        assertTrue(response.startsWith("HTTP/1.1 200"), response);
        assertTrue(response.endsWith("activated\n"), response);
        String log = Scripts.textOf(dir.resolve("activate.out"));
        assertTrue(log.contains("socket activation: serving on inherited fd 3 (http, port " + port + ")"), log);
        assertTrue(get(port, "/index.html").startsWith("HTTP/1.1 200"), "and keeps serving");
    }

    @Test
    void supervisedProgramGetsEveryListenSocketByNameAsAChannel() throws Exception {
        int a = Processes.freeLoopbackPort();
        int b = Processes.freeLoopbackPort();
        List<String> cmd = new ArrayList<>(Cli.command("supervise", "--listen", "first=127.0.0.1:" + a, "--listen",
                "second=127.0.0.1:" + b, "--"));
        cmd.addAll(Cli.javaCommand(ActivationProbe.class.getName()));
        start("sup.out", cmd);
        String one;
        String two;
        try {
            one = readLine(a);
            two = readLine(b);
        } catch (IOException e) {
            throw new AssertionError("no answer: " + e + "\n" + Scripts.textOf(dir.resolve("sup.out")), e);
        }
        assertTrue(one.startsWith("name=first port=" + a + " "), one + "\n" + Scripts.textOf(dir.resolve("sup.out")));
        assertTrue(two.startsWith("name=second port=" + b + " "), two);
        // The variables are consumed: a child of the probe would not take the sockets for its own.
        assertTrue(one.endsWith("listenPid=null fds=null"), one);
        // What the JDK's channel reports for a socket taken over a placeholder (see ActivatedChannels).
        assertTrue(two.contains("localAddressPort="), two);
    }

    /**
     * The measure: a program restarted under --listen while a loopback client loop runs
     * loses no connection (they wait in the backlog the supervisor keeps open).
     */
    @Test
    void restartsUnderListenLoseNoConnection() throws Exception {
        Path root = Files.createDirectories(dir.resolve("www"));
        Files.writeString(root.resolve("index.html"), "hello\n");
        int port = Processes.freeLoopbackPort();
        Path config = dir.resolve("sup.ini");
        Files.writeString(config, "[program:web]\ncommand = " + String.join(" ", Cli.command("serve", "--root",
                root.toString())) + "\nlisten = http=127.0.0.1:" + port + "\n");
        Path control = dir.resolve("c.sock");
        Process sup = start("sup.out", Cli.command("supervise", "--config", config.toString(), "--control",
                control.toString()));
        assertTrue(eventually(Duration.ofSeconds(30), () -> Scripts.textOf(dir.resolve("sup.out")).contains("RUNNING")),
                Scripts.textOf(dir.resolve("sup.out")));
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger attempted = new AtomicInteger();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            clients.add(Thread.ofPlatform().start(() -> {
                while (running.get()) {
                    attempted.incrementAndGet();
                    try {
                        String r = get(port, "/index.html");
                        if (!r.startsWith("HTTP/1.1 200")) {
                            failures.add(r.lines().findFirst().orElse("empty response"));
                        }
                    } catch (IOException e) {
                        failures.add(e.toString());
                    }
                }
            }));
        }
        int restarts = 3;
        for (int i = 0; i < restarts; i++) {
            Thread.sleep(1500);
            Cli.Result r = Cli.run("ctl", "--control", control.toString(), "restart", "web");
            assertEquals(0, r.exitCode(), r.all());
        }
        Thread.sleep(1500);
        running.set(false);
        for (Thread t : clients) {
            t.join(30_000);
        }
        String log = Scripts.textOf(dir.resolve("sup.out"));
        assertEquals(restarts + 1, log.split("STARTING -> RUNNING", -1).length - 1, log);
        assertTrue(attempted.get() > 100, "the client loop ran: " + attempted.get());
        assertEquals(List.of(), failures, attempted.get() + " connections attempted");
        assertTrue(sup.isAlive());
    }

    /** One HTTP/1.1 GET with Connection: close; the whole response. */
    static String get(int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static String readLine(int port) throws IOException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
                s.setSoTimeout(30_000);
                return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            } catch (IOException e) {
                if (System.nanoTime() > end) {
                    throw e;
                }
            }
        }
    }

}
