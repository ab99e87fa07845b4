package dev.daemonkit.cli;

import java.time.Duration;

/**
 * Every bound the example server puts on a client. Each one exists because a client can
 * otherwise make the server spend unbounded time or memory: a huge path, thousands of path
 * segments, endless headers, a socket that connects and sends nothing (slowloris), a client
 * that never reads its response, or simply more connections than the machine should hold.
 *
 * @param maxTargetLength   request-target (path and query) in bytes; longer: 414
 * @param maxSegments       '/'-separated path segments; more: 400
 * @param maxHeadBytes      request line plus headers in bytes; more: 431 (a long request line: 414)
 * @param maxHeaders        header fields per request; more: 431
 * @param requestTimeout    a complete request head must arrive within this, counted from the
 *                          connection's accept or, on a kept-alive connection, from its first
 *                          byte; else 408 (if something arrived) and the connection is closed
 * @param idleTimeout       a kept-alive connection with no new request is closed after this
 * @param sendTimeout       a response write that makes no progress for this long is abandoned
 * @param maxConnections    connections served at once; more wait in the kernel's backlog
 * @param maxRequestsPerConnection after this many requests a kept-alive connection is closed
 */
record HttpLimits(int maxTargetLength, int maxSegments, int maxHeadBytes, int maxHeaders, Duration requestTimeout,
        Duration idleTimeout, Duration sendTimeout, int maxConnections, int maxRequestsPerConnection) {

    /** The defaults of {@code daemonkit serve}: Apache's and nginx's orders of magnitude, kept small. */
    static final HttpLimits DEFAULTS = new HttpLimits(8192, 64, 16384, 100, Duration.ofSeconds(10),
            Duration.ofSeconds(5), Duration.ofSeconds(10), 512, 1000);

    HttpLimits {
        if (maxTargetLength < 16 || maxSegments < 1 || maxHeaders < 1 || maxConnections < 1
                || maxRequestsPerConnection < 1) {
            throw new IllegalArgumentException("limits must be positive (target length at least 16)");
        }
        // The request line (method, target, version) must fit into the head buffer.
        if (maxHeadBytes < maxTargetLength + 64) {
            throw new IllegalArgumentException("maxHeadBytes must exceed maxTargetLength by at least 64");
        }
        for (Duration d : new Duration[] {requestTimeout, idleTimeout, sendTimeout}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("timeouts must be positive");
            }
        }
    }

    HttpLimits withTimeouts(Duration request, Duration idle, Duration send) {
        return new HttpLimits(maxTargetLength, maxSegments, maxHeadBytes, maxHeaders, request, idle, send,
                maxConnections, maxRequestsPerConnection);
    }

    HttpLimits withMaxConnections(int n) {
        return new HttpLimits(maxTargetLength, maxSegments, maxHeadBytes, maxHeaders, requestTimeout, idleTimeout,
                sendTimeout, n, maxRequestsPerConnection);
    }

    /** The longest request line accepted: method, target, version and the separators. */
    int maxRequestLine() {
        return maxTargetLength + 32;
    }
}
