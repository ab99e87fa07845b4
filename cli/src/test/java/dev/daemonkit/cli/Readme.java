package dev.daemonkit.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The project's README.md, for the tests that keep its examples true. An example a test checks is
 * a fenced code block right after a marker line {@code <!-- NAME: ARGUMENT -->}, so a reader sees
 * nothing of it and a test finds the block by name.
 */
final class Readme {
    private Readme() {
    }

    /** A fenced code block: its language tag (after the opening fence) and its text, lines ending in \n. */
    record Block(String language, String text, int line) {
    }

    /** A marker with the block that follows it. */
    record Marked(String argument, Block block) {
    }

    /** The directory holding README.md, ./daemonkit and mvnw: the test's working directory or above it. */
    static Path projectRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("README.md")) && Files.isExecutable(d.resolve("mvnw"))) {
                return d;
            }
        }
        throw new IllegalStateException("no README.md and mvnw above " + Path.of("").toAbsolutePath());
    }

    static List<String> lines() throws IOException {
        return Files.readAllLines(projectRoot().resolve("README.md"));
    }

    /** Every fenced code block of the README, in order. */
    static List<Block> blocks() throws IOException {
        List<String> lines = lines();
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("```")) {
                Block b = blockAt(lines, i);
                blocks.add(b);
                i += (int) b.text().lines().count() + 1;
            }
        }
        return blocks;
    }

    /** Every block that follows a line {@code <!-- name: ARGUMENT -->} (blank lines between are allowed). */
    static List<Marked> marked(String name) throws IOException {
        List<String> lines = lines();
        String prefix = "<!-- " + name + ":";
        List<Marked> found = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.startsWith(prefix) && l.endsWith("-->")) {
                String argument = l.substring(prefix.length(), l.length() - 3).strip();
                int j = i + 1;
                while (j < lines.size() && lines.get(j).isBlank()) {
                    j++;
                }
                if (j == lines.size() || !lines.get(j).startsWith("```")) {
                    throw new AssertionError("README.md line " + (i + 1) + ": no code block after " + l);
                }
                found.add(new Marked(argument, blockAt(lines, j)));
            }
        }
        return found;
    }

    private static Block blockAt(List<String> lines, int open) {
        StringBuilder text = new StringBuilder();
        for (int i = open + 1; i < lines.size(); i++) {
            if (lines.get(i).equals("```")) {
                return new Block(lines.get(open).substring(3).strip(), text.toString(), open + 1);
            }
            text.append(lines.get(i)).append('\n');
        }
        throw new AssertionError("README.md line " + (open + 1) + ": code block not closed");
    }
}
