/**
 * daemonkit: Unix daemons, process spawning, reaping and supervision for Java 22+, bound to libc
 * through the Foreign Function &amp; Memory API.
 *
 * <p>Run code that uses it with {@code --enable-native-access=dev.daemonkit} (module path) or
 * {@code --enable-native-access=ALL-UNNAMED} (class path).
 */
module dev.daemonkit {
    requires org.slf4j;
    requires jdk.unsupported;

    // The CLI's LazyLogging finds the real slf4j binding when something first logs.
    uses org.slf4j.spi.SLF4JServiceProvider;

    exports dev.daemonkit.posix;
    exports dev.daemonkit.process;
    exports dev.daemonkit.daemon;
    exports dev.daemonkit.supervise;
}
