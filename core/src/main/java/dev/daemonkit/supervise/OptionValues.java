package dev.daemonkit.supervise;

import dev.daemonkit.posix.Signal;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The value syntax of every option, on the command line and in a config file alike: the one
 * place where a duration, a boolean, a size or a signal is read from text (and written back for
 * help texts). Each parser throws {@link IllegalArgumentException} with a message that says what
 * was expected and quotes the text; the caller prefixes the flag or the file and line.
 */
public final class OptionValues {
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|mb|gb|k|m|g)?");
    private static final Map<String, Long> NANOS = Map.of("ms", 1_000_000L, "s", 1_000_000_000L, "m", 60_000_000_000L,
            "h", 3_600_000_000_000L);

    private OptionValues() {
    }

    /**
     * {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 1.5s}; a bare number is seconds
     * (as supervisord's startsecs). Negative durations are refused.
     */
    public static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("-")) {
            throw new IllegalArgumentException("must not be negative: " + text);
        }
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("needs a duration like 500ms, 10s, 2m or 1h (a bare number is seconds): "
                    + text);
        }
        long unit = NANOS.get(m.group(2) == null ? "s" : m.group(2));
        if (m.group(1).indexOf('.') < 0) {
            // A whole number (nearly every value) in long arithmetic: BigDecimal's class
            // initialisation alone costs a short command ~9 ms.
            try {
                return Duration.ofNanos(Math.multiplyExact(Long.parseLong(m.group(1)), unit));
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException("is too long: " + text);
            }
        }
        BigDecimal nanos = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit));
        if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("is too long: " + text);
        }
        return Duration.ofNanos(nanos.longValue());
    }

    /** The shortest exact spelling {@link #duration} reads back: 0s, 500ms, 10s, 2m, 1h, 1500ms. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /** Strictly one of true/false, yes/no, on/off, 1/0 (any case); anything else is an error, never false. */
    public static boolean bool(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException("needs true or false (or yes/no, on/off, 1/0): " + text);
        };
    }

    /** A whole number in {@code [min, max]}. */
    public static int integer(String text, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: " + text + " (needs a whole number)");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("must be between " + min + " and " + max + ": " + text);
        }
        return n;
    }

    /** Exit codes such as {@code 0} or {@code 0,2}, each 0..255. */
    public static Set<Integer> exitCodes(String text) {
        Set<Integer> codes = new TreeSet<>();
        for (String c : text.split(",", -1)) {
            try {
                codes.add(integer(c, 0, 255));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("needs exit codes 0..255 like 0 or 0,2: " + text);
            }
        }
        return codes;
    }

    /** Writes exit codes as {@link #exitCodes} reads them. */
    public static String formatExitCodes(Set<Integer> codes) {
        return new TreeSet<>(codes).stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    /** {@code TERM}, {@code SIGTERM}, {@code sigterm} or {@code 15}. */
    public static Signal signal(String text) {
        return Signal.parse(text);
    }

    /** {@code FROM:TO[,FROM:TO...]}, e.g. {@code TERM:QUIT,HUP:USR1}: forward FROM as TO. */
    public static Map<Signal, Signal> signalMap(String text) {
        Map<Signal, Signal> map = new EnumMap<>(Signal.class);
        for (String pair : text.split(",", -1)) {
            String[] ft = pair.split(":", -1);
            if (ft.length != 2) {
                throw new IllegalArgumentException("needs FROM:TO pairs like TERM:QUIT or TERM:QUIT,HUP:USR1: " + text);
            }
            map.put(Signal.parse(ft[0]), Signal.parse(ft[1]));
        }
        return map;
    }

    /** Writes a signal map as {@link #signalMap} reads it. */
    public static String formatSignalMap(Map<Signal, Signal> map) {
        return map.entrySet().stream().map(e -> e.getKey().shortName() + ":" + e.getValue().shortName())
                .collect(Collectors.joining(","));
    }

    /** A size in bytes: {@code 0}, {@code 4096}, {@code 512KB}, {@code 10MB}, {@code 1GB} (K/M/G too; powers of 1024). */
    public static long size(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("needs a size like 0, 512KB, 10MB or 1GB: " + text);
        }
        int shift = m.group(2) == null ? 0 : switch (m.group(2).charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        try {
            long n = Long.parseLong(m.group(1));
            if (n > Long.MAX_VALUE >> shift) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is too large: " + text);
        }
    }

    /** Writes a size as {@link #size} reads it: 10MB, 512KB, 1000. */
    public static String formatSize(long bytes) {
        for (String unit : List.of("GB", "MB", "KB")) {
            int shift = unit.equals("GB") ? 30 : unit.equals("MB") ? 20 : 10;
            if (bytes > 0 && bytes % (1L << shift) == 0) {
                return (bytes >> shift) + unit;
            }
        }
        return Long.toString(bytes);
    }

    /** {@code KEY=value[,KEY2="a, b"]}: commas inside double quotes belong to the value. */
    public static Map<String, String> environment(String text) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String item : splitOutsideQuotes(text)) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("needs KEY=value pairs like A=1,B=\"x, y\": " + text);
            }
            String val = item.substring(eq + 1).trim();
            if (val.length() >= 2 && val.startsWith("\"") && val.endsWith("\"")) {
                val = val.substring(1, val.length() - 1);
            }
            env.put(item.substring(0, eq).trim(), val);
        }
        return env;
    }

    /** Writes an environment as {@link #environment} reads it. */
    public static String formatEnvironment(Map<String, String> env) {
        return env.entrySet().stream().map(e -> e.getKey() + "=" + (e.getValue().contains(",") || e.getValue().isBlank()
                ? "\"" + e.getValue() + "\"" : e.getValue())).collect(Collectors.joining(","));
    }

    private static List<String> splitOutsideQuotes(String v) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char c : v.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                out.add(cur.toString().trim());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString().trim());
        return out;
    }

    /** {@code [NAME=]HOST:PORT[,...]}: listening sockets for socket activation. */
    public static List<dev.daemonkit.process.ListenAddress> listen(String text) {
        List<dev.daemonkit.process.ListenAddress> out = new ArrayList<>();
        for (String item : text.split(",", -1)) {
            out.add(dev.daemonkit.process.ListenAddress.parse(item));
        }
        return out;
    }

    /** always, on-failure (or unexpected, supervisord's word), never; true/false as supervisord's autorestart. */
    public static RestartPolicy restart(String text) {
        return RestartPolicy.parse(text);
    }

    /** Writes a restart policy as {@link #restart} reads it: always, on-failure, never. */
    public static String format(RestartPolicy p) {
        return p.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
