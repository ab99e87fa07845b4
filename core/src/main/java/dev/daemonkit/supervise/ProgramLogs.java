package dev.daemonkit.supervise;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The supervisor's open log files, one {@link RotatingLog} per file however many streams write to it. */
final class ProgramLogs implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    private final Map<Path, RotatingLog> byFile = new LinkedHashMap<>();

    /**
     * The log for copy {@code copy} of a program, or null when {@code file} is null (the stream
     * is not logged). {@code %(process_num)d}, as supervisord spells it, becomes the copy's number.
     */
    RotatingLog open(Path file, ProgramSpec spec, int copy) throws IOException {
        if (file == null) {
            return null;
        }
        Path p = Path.of(file.toString().replace("%(process_num)d", Integer.toString(copy))).toAbsolutePath();
        RotatingLog existing = byFile.get(p);
        if (existing != null) {
            return existing;
        }
        RotatingLog l = new RotatingLog(p, spec.logMaxBytes(), spec.logBackups());
        byFile.put(p, l);
        return l;
    }

    /**
     * Reopens every file (after logrotate moved them).
     *
     * @return one line per file that could not be reopened (it is still written where it was)
     */
    List<String> reopen() {
        List<String> failed = new ArrayList<>();
        for (RotatingLog l : byFile.values()) {
            try {
                l.reopen();
            } catch (IOException e) {
                LOG.warn("cannot reopen {}: {}", l.file(), e.getMessage());
                failed.add(l.file() + ": " + e.getMessage());
            }
        }
        return failed;
    }

    @Override
    public void close() {
        for (RotatingLog l : byFile.values()) {
            try {
                l.close();
            } catch (IOException e) {
                LOG.debug("closing {}: {}", l.file(), e.getMessage());
            }
        }
    }
}
