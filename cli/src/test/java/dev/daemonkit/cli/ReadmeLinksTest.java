package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every link in the README leads somewhere: a file of the repository, or one of its own headings. */
class ReadmeLinksTest {
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    @Test
    void everyLinkNamesAFileOfTheRepositoryOrAHeading() throws Exception {
        List<String> lines = Readme.lines();
        Set<String> anchors = anchors(lines);
        List<String> broken = new ArrayList<>();
        int links = 0;
        boolean inCode = false;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("```")) {
                inCode = !inCode;
            }
            Matcher m = LINK.matcher(lines.get(i));
            while (!inCode && m.find()) {
                links++;
                String target = m.group(1);
                if (target.startsWith("http://") || target.startsWith("https://")) {
                    continue;
                }
                boolean ok = target.startsWith("#") ? anchors.contains(target.substring(1))
                        : Files.exists(Readme.projectRoot().resolve(Path.of(target.split("#")[0])));
                if (!ok) {
                    broken.add("line " + (i + 1) + ": " + target);
                }
            }
        }
        assertTrue(links > 10, "the README's links were found: " + links);
        assertEquals(List.of(), broken, "links to nothing in README.md");
    }

    @Test
    void theReadmeNamesNoDocumentOutsideTheRepository() throws Exception {
        String text = String.join("\n", Readme.lines());
        for (String gone : List.of("DESIGN.md", "the article")) {
            assertTrue(!text.contains(gone), "README.md refers to " + gone + ", which a reader of the repository does not have");
        }
    }

    /** The anchors GitHub gives the headings: lower case, punctuation dropped, spaces as '-', repeats numbered. */
    private static Set<String> anchors(List<String> lines) {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean inCode = false;
        for (String line : lines) {
            if (line.startsWith("```")) {
                inCode = !inCode;
            }
            if (inCode || !line.startsWith("#")) {
                continue;
            }
            String slug = line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT)
                    .replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
            int n = seen.merge(slug, 1, Integer::sum);
            anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
        }
        return anchors;
    }
}
