package dev.daemonkit.cli;

import dev.daemonkit.daemon.Daemon;
import dev.daemonkit.daemon.DaemonOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A library daemon in systemd's Type=notify-reload manner, for the supervisor to watch: set up
 * in place, reloads on SIGHUP (announced with RELOADING=1 … READY=1), feeds the watchdog while
 * the file {@code args[0]} exists, then reports ready.
 */
public final class NotifyLibraryProbe {
    private NotifyLibraryProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path healthy = Path.of(args[0]).toAbsolutePath();
        Daemon d = Daemon.daemonize(DaemonOptions.builder().detach(false).build());
        d.onReload(() -> System.out.println("probe: reload action ran"));
        if (d.watchdog(() -> Files.exists(healthy)).isEmpty()) {
            System.out.println("probe: no watchdog asked for");
        }
        d.ready("probe up");
        Thread.currentThread().join();
    }
}
