package dev.daemonkit.notify;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One sd_notify datagram: newline-separated {@code KEY=VALUE} assignments (sd_notify(3)). Lines
 * without {@code =} are ignored, as systemd does; a key given twice keeps its last value. The
 * values are untrusted text: callers check a MAINPID before believing it and show STATUS only
 * after stripping control characters.
 */
public record NotifyMessage(Map<String, String> fields) {
    /** systemd's limit on one notification (NOTIFY_BUFFER_MAX): longer datagrams are dropped. */
    public static final int MAX_BYTES = 4096;

    public NotifyMessage {
        fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** Parses a datagram's bytes (UTF-8). */
    public static NotifyMessage parse(byte[] data) {
        Map<String, String> f = new LinkedHashMap<>();
        for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                f.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return new NotifyMessage(f);
    }

    /** The value of a key, if given. */
    public Optional<String> get(String key) {
        return Optional.ofNullable(fields.get(key));
    }

    private boolean is(String key, String value) {
        return value.equals(fields.get(key));
    }

    /** READY=1: start-up (or a reload) is finished. */
    public boolean ready() {
        return is("READY", "1");
    }

    /** STOPPING=1: the program is shutting down on its own. */
    public boolean stopping() {
        return is("STOPPING", "1");
    }

    /** RELOADING=1: a reload began; READY=1 ends it (Type=notify-reload). */
    public boolean reloading() {
        return is("RELOADING", "1");
    }

    /** WATCHDOG=1: the program is alive and well. */
    public boolean watchdogPing() {
        return is("WATCHDOG", "1");
    }

    /** WATCHDOG=trigger: the program asks to be treated as if its watchdog had expired. */
    public boolean watchdogTrigger() {
        return is("WATCHDOG", "trigger");
    }

    /** STATUS=...: a line for people. */
    public Optional<String> status() {
        return get("STATUS");
    }

    /** MAINPID=n: the program's main process, when it is not the one that was started. */
    public OptionalInt mainPid() {
        return get("MAINPID").map(NotifyMessage::positiveInt).orElse(OptionalInt.empty());
    }

    /** EXTEND_TIMEOUT_USEC=n: "give me n µs more from now" for the current start (or stop). */
    public Optional<Duration> extendTimeout() {
        return get("EXTEND_TIMEOUT_USEC").flatMap(v -> {
            try {
                long us = Long.parseLong(v.trim());
                return us < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(Math.multiplyExact(us, 1000L)));
            } catch (NumberFormatException | ArithmeticException e) {
                return Optional.empty();
            }
        });
    }

    /** MONOTONIC_USEC=n: CLOCK_MONOTONIC when a reload began (sent with RELOADING=1). */
    public OptionalLong monotonicUsec() {
        try {
            return get("MONOTONIC_USEC").map(v -> OptionalLong.of(Long.parseLong(v.trim()))).orElse(OptionalLong.empty());
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** BARRIER=1: the sender waits until the descriptor it passed is closed (which receiving does). */
    public boolean barrier() {
        return is("BARRIER", "1");
    }

    private static OptionalInt positiveInt(String v) {
        try {
            int n = Integer.parseInt(v.trim());
            return n > 0 ? OptionalInt.of(n) : OptionalInt.empty();
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /** The message as sent, for logs (keys in the order they came). */
    @Override
    public String toString() {
        return String.join(" ", fields.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }
}
