package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.posix.Posix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The real systemd tools the service-protocol tests run against: {@code systemd-notify} and
 * {@code systemd-socket-activate} (Debian package {@code systemd}). Installed with apt-get when
 * missing and running as root; otherwise the test is skipped, saying why.
 */
final class SystemdTools {
    private static Boolean present;

    private SystemdTools() {
    }

    /** The tool's path; skips the calling test when it cannot be had. */
    static synchronized String require(String tool) throws Exception {
        if (present == null) {
            present = installed();
            if (!present && Posix.geteuid() == 0) {
                Process p = new ProcessBuilder("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive"
                        + " apt-get install -y -qq --no-install-recommends systemd").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor(10, TimeUnit.MINUTES)) {
                    present = installed();
                } else {
                    p.destroyForcibly();
                }
            }
        }
        assumeTrue(present, "systemd-notify and systemd-socket-activate are not installed and could not be"
                + " (apt-get install systemd needs root and a package mirror)");
        return find(tool);
    }

    private static boolean installed() {
        return find("systemd-notify") != null && find("systemd-socket-activate") != null;
    }

    private static String find(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return Path.of(dir, tool).toString();
            }
        }
        return null;
    }
}
