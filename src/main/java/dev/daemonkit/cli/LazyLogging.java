package dev.daemonkit.cli;

import java.util.ServiceLoader;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.NOPLoggerFactory;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.helpers.SubstituteLogger;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The CLI's slf4j provider: hands out loggers at once and sets up slf4j-simple only when the first
 * of them is used. Setting slf4j-simple up costs 30-80 ms (its SimpleDateFormat loads the CLDR
 * locale data), and every {@code static final Logger} on a command's path paid it, although
 * {@code status}, {@code stop} of a stopped daemon, {@code --help} or {@code version} never log.
 * Chosen by the {@code slf4j.provider} system property ({@link Main#configureLogging}), which also
 * spares slf4j its ServiceLoader scan of the class path.
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
     * A logger whose every call goes to slf4j-simple's logger of the same name, created on the
     * first call. {@link SubstituteLogger} forwards all of {@link Logger} to {@link #delegate()}.
     */
    private static final class Deferred extends SubstituteLogger {
        Deferred(String name) {
            super(name, null, true);
        }

        @Override
        public Logger delegate() {
            if (isDelegateNull()) {
                // A race sets the same logger twice: the factory keeps one per name.
                setDelegate(Real.FACTORY.getLogger(getName()));
            }
            return super.delegate();
        }
    }
}
