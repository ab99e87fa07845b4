/**
 * daemonkit, the library: Unix daemons, process spawning, reaping and supervision for Java 22+,
 * bound to libc through the Foreign Function &amp; Memory API. It needs only slf4j-api: the CLI
 * and its example HTTP server are the separate module {@code dev.daemonkit.cli}.
 *
 * <p>Run code that uses it with {@code --enable-native-access=dev.daemonkit} (module path) or
 * {@code --enable-native-access=ALL-UNNAMED} (class path).
 */
module dev.daemonkit {
    requires org.slf4j;
    requires jdk.unsupported;
    requires jdk.net; // SO_PEERCRED: whom ctl is talking to

    exports dev.daemonkit.posix;
    exports dev.daemonkit.process;
    exports dev.daemonkit.daemon;
    exports dev.daemonkit.notify;
    exports dev.daemonkit.supervise;
}
