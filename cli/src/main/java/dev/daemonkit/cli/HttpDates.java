package dev.daemonkit.cli;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** HTTP dates (RFC 9110 IMF-fixdate) and reason phrases for the example server. */
final class HttpDates {
    /** RFC_1123_DATE_TIME would print "Tue, 3 Jun 2008": IMF-fixdate wants a two-digit day. */
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    /** The Date header changes once a second: format it once a second, not once a request. */
    private record Cached(long second, String text) {
    }

    private static volatile Cached now = new Cached(-1, "");

    private HttpDates() {
    }

    static String format(Instant t) {
        return IMF_FIXDATE.format(t);
    }

    static String now() {
        long second = System.currentTimeMillis() / 1000;
        Cached c = now;
        if (c.second() != second) {
            c = new Cached(second, format(Instant.ofEpochSecond(second)));
            now = c;
        }
        return c.text();
    }

    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 304 -> "Not Modified";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 414 -> "URI Too Long";
            case 431 -> "Request Header Fields Too Large";
            case 505 -> "HTTP Version Not Supported";
            default -> "Error";
        };
    }
}
