package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's copy of {@code daemonkit supervise --help} is the command's own text (a newcomer compared them). */
class ReadmeHelpTest {
    @Test
    void theSuperviseOptionsBlockIsWhatSuperviseHelpPrints() throws Exception {
        List<String> readme = Readme.lines();
        int intro = readme.indexOf(readme.stream().filter(l -> l.endsWith("`daemonkit supervise --help`:")).findFirst()
                .orElseThrow());
        assertEquals("```", readme.get(intro + 2));
        int end = intro + 3;
        while (!readme.get(end).equals("```")) {
            end++;
        }
        String block = String.join("\n", readme.subList(intro + 3, end));
        String help = new SuperviseCommand().usage();
        assertTrue(help.contains(block), "README block differs from supervise --help:\n" + block + "\n---\n" + help);
    }
}
