/**
 * The {@code daemonkit} command line and its example daemon ({@code daemonkit serve}, a static
 * file server): a thin layer over the library module {@code dev.daemonkit}.
 *
 * <p>Run it with {@code --enable-native-access=dev.daemonkit} on the module path, or as
 * {@code java -jar target/daemonkit.jar} (its manifest enables native access for the class path).
 */
module dev.daemonkit.cli {
    requires dev.daemonkit;
    requires org.slf4j;

    // LazyLogging finds the real slf4j binding when something first logs.
    uses org.slf4j.spi.SLF4JServiceProvider;

    exports dev.daemonkit.cli;
}
