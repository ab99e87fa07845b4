package dev.daemonkit.cli;

import java.util.Locale;
import java.util.ServiceLoader;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPLoggerFactory;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The CLI's slf4j provider: hands out loggers at once and sets up slf4j-simple only when the first
 * message at an enabled level is logged. Setting slf4j-simple up costs 30-80 ms (its
 * SimpleDateFormat loads the CLDR locale data), and every {@code static final Logger} on a
 * command's path paid it, although {@code status}, {@code stop} of a stopped daemon, {@code --help}
 * or {@code version} never log, and {@code start} only at debug level.
 * Chosen by the {@code slf4j.provider} system property ({@link Main#configureLogging}), which also
 * spares slf4j its ServiceLoader scan of the class path.
 *
 * <p>Levels are decided as slf4j-simple decides them from system properties
 * ({@code org.slf4j.simpleLogger.log.NAME}, then each parent name, then
 * {@code org.slf4j.simpleLogger.defaultLogLevel}); a {@code simplelogger.properties} file on the
 * class path is read only once something logs.
 */
public final class LazyLogging implements SLF4JServiceProvider {
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();
    private final ILoggerFactory factory = Deferred::new;

    /** Public, with no arguments: slf4j instantiates it by name. */
    public LazyLogging() {
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        // Nothing yet: that is the point.
    }

    /**
     * Brief style for one-shot commands: each message on stderr as {@code PREFIX: message}
     * ({@code PREFIX: warning: message} for warnings), like every other diagnostic of the CLI — no
     * timestamp, level or logger name, and slf4j-simple is never set up. Services (serve,
     * supervise, prefork) keep slf4j-simple's timestamped lines: theirs are logs.
     */
    static void brief(String prefix) {
        briefPrefix = prefix;
    }

    private static volatile String briefPrefix;

    /** Sets up the real binding now (for commands that will log anyway). */
    static void setUpNow() {
        // Reading the holder's field runs its initialiser, once.
        java.util.Objects.requireNonNull(Real.FACTORY);
    }

    /** The real binding's factory (slf4j-simple from lib/), set up on first use with the CLI's defaults. */
    private static final class Real {
        static final ILoggerFactory FACTORY = find();

        private static ILoggerFactory find() {
            Main.loggingDefaults();
            for (SLF4JServiceProvider p : ServiceLoader.load(SLF4JServiceProvider.class, LazyLogging.class.getClassLoader())) {
                if (!(p instanceof LazyLogging)) {
                    p.initialize();
                    return p.getLoggerFactory();
                }
            }
            System.err.println("daemonkit: no slf4j binding on the class path (lib/slf4j-simple.jar): nothing is logged");
            return new NOPLoggerFactory();
        }
    }

    /**
     * A logger that answers level checks from the system properties and forwards each enabled
     * call to slf4j-simple's logger of the same name, created on the first such call.
     */
    private static final class Deferred extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;
        private final int threshold;
        private transient volatile Logger real;

        Deferred(String name) {
            this.name = name;
            this.threshold = threshold(name);
        }

        /** slf4j-simple's rule: the most specific {@code log.NAME} property, else the default. */
        private static int threshold(String name) {
            Main.loggingDefaults();
            String level = null;
            for (String n = name; level == null && !n.isEmpty(); n = n.substring(0, Math.max(0, n.lastIndexOf('.')))) {
                level = System.getProperty("org.slf4j.simpleLogger.log." + n);
            }
            if (level == null) {
                level = System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
            }
            return switch (level.trim().toLowerCase(Locale.ROOT)) {
                case "trace" -> Level.TRACE.toInt();
                case "debug" -> Level.DEBUG.toInt();
                case "warn" -> Level.WARN.toInt();
                case "error" -> Level.ERROR.toInt();
                case "off" -> Integer.MAX_VALUE;
                default -> Level.INFO.toInt();
            };
        }

        private Logger real() {
            Logger r = real;
            if (r == null) {
                // A race asks twice: the factory keeps one logger per name.
                r = Real.FACTORY.getLogger(name);
                real = r;
            }
            return r;
        }

        @Override
        public boolean isTraceEnabled() {
            return Level.TRACE.toInt() >= threshold;
        }

        @Override
        public boolean isDebugEnabled() {
            return Level.DEBUG.toInt() >= threshold;
        }

        @Override
        public boolean isInfoEnabled() {
            return Level.INFO.toInt() >= threshold;
        }

        @Override
        public boolean isWarnEnabled() {
            return Level.WARN.toInt() >= threshold;
        }

        @Override
        public boolean isErrorEnabled() {
            return Level.ERROR.toInt() >= threshold;
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String msg, Object[] args, Throwable t) {
            String prefix = briefPrefix;
            if (prefix != null) {
                String text = MessageFormatter.basicArrayFormat(msg, args);
                String kind = level == Level.WARN ? "warning: " : level == Level.ERROR ? "error: " : "";
                System.err.println(prefix + ": " + kind + text + (t != null ? " (" + t + ")" : ""));
                return;
            }
            Object[] all = args == null ? new Object[0] : args;
            if (t != null) {
                all = java.util.Arrays.copyOf(all, all.length + 1);
                all[all.length - 1] = t;
            }
            Logger r = real();
            switch (level) {
                case TRACE -> r.trace(marker, msg, all);
                case DEBUG -> r.debug(marker, msg, all);
                case INFO -> r.info(marker, msg, all);
                case WARN -> r.warn(marker, msg, all);
                case ERROR -> r.error(marker, msg, all);
            }
        }
    }
}
