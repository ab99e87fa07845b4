package dev.daemonkit.cli;

import java.util.Collection;
import java.util.Optional;

/** "did you mean --pidfile?": the closest known word to a misspelled one, by edit distance. */
final class DidYouMean {
    private DidYouMean() {
    }

    /** The closest candidate within a distance that still looks like a typo, if any. */
    static Optional<String> closest(String typed, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(typed, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        // Two edits for words of 5+ letters (piddfile, --sigal), one for short ones; a prefix too.
        int allowed = typed.length() >= 5 ? 2 : 1;
        if (best != null && (bestDistance <= allowed || best.startsWith(typed) && typed.length() >= 3)) {
            return Optional.of(best);
        }
        return Optional.empty();
    }

    /** " (did you mean X?)" or "". */
    static String hint(String typed, Collection<String> known, String prefix) {
        return closest(typed, known).map(k -> " (did you mean " + prefix + k + "?)").orElse("");
    }

    /** Damerau-Levenshtein distance (optimal string alignment): a swap of two letters is one edit. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
