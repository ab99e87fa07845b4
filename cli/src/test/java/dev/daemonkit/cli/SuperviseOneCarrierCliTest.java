package dev.daemonkit.cli;

import static dev.daemonkit.testkit.Processes.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Leftovers;
import dev.daemonkit.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A supervisor under the JVM options ./daemonkit gives it (one carrier thread for virtual
 * threads): a program that writes nothing must not keep the other programs' logs from being
 * written, nor the control socket from answering. A log pump blocked in read(2) through FFM pins
 * its carrier, so the pumps must not be virtual threads.
 */
class SuperviseOneCarrierCliTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final Leftovers leftovers = new Leftovers();

    @Test
    void aSilentProgramDoesNotStarveTheOtherLogsOrTheControlSocket() throws Exception {
        Path config = Files.writeString(dir.resolve("s.ini"), """
                [program:quiet]
                command = sleep 300
                stdout_log = quiet.log
                stderr_log = quiet.err
                start_seconds = 0

                [program:chatty]
                command = sh -c "i=0; while :; do i=$((i+1)); echo line $i; sleep 0.05; done"
                stdout_log = chatty.log
                redirect_stderr = yes
                start_seconds = 0
                """);
        Path pidfile = dir.resolve("s.pid");
        leftovers.stop(pidfile);
        Cli.Result started = oneCarrier("supervise", "--config", config.toString(), "--pidfile", pidfile.toString(),
                "--log", dir.resolve("s.log").toString());
        assertEquals(0, started.exitCode(), started.all());
        Processes.readPid(pidfile).ifPresent(leftovers::kill);

        assertTrue(eventually(Duration.ofSeconds(10), () -> read(dir.resolve("chatty.log")).contains("line 20\n")),
                "chatty's log is written: " + read(dir.resolve("chatty.log")) + read(dir.resolve("s.log")));
        Cli.Result status = oneCarrier("ctl", "--pidfile", pidfile.toString(), "--timeout", "5s", "status");
        assertEquals(0, status.exitCode(), status.all());
        assertTrue(status.stdout().matches("(?s)quiet\\s+RUNNING.*chatty\\s+RUNNING.*"), status.all());
    }

    /** The CLI with -Djdk.virtualThreadScheduler.parallelism=1, as ./daemonkit runs supervise. */
    private static Cli.Result oneCarrier(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(Cli.command(args));
        command.add(1, "-Djdk.virtualThreadScheduler.parallelism=1");
        return Cli.exec(new ProcessBuilder(command), Duration.ofSeconds(60));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
