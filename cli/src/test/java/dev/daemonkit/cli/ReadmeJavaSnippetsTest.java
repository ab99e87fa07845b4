package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.testkit.Cli;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Java snippet of the README compiles against the library as it is. A snippet is a
 * fragment: it is compiled as the body of a method (or, when it declares {@code main}, as a class
 * member) with the library's packages and the JDK's usual ones imported, and the few names it
 * takes as given — {@code pid}, {@code myListenFd}, {@code reloadConfig()}, {@code serve(server)} —
 * declared around it. The quick start's blocks are whole files, compiled by the consumer project.
 */
class ReadmeJavaSnippetsTest {
    private static final String IMPORTS = """
            import dev.daemonkit.daemon.*;
            import dev.daemonkit.posix.*;
            import dev.daemonkit.process.*;
            import dev.daemonkit.supervise.*;
            import java.net.ServerSocket;
            import java.nio.ByteBuffer;
            import java.nio.channels.*;
            import java.nio.file.Path;
            import java.time.Duration;
            import java.util.List;
            """;

    @TempDir
    Path dir;

    @Test
    void everyJavaSnippetCompiles() throws Exception {
        List<String> quickStart = Readme.marked("quickstart").stream().map(m -> m.block().text()).toList();
        List<Path> sources = new ArrayList<>();
        for (Readme.Block b : Readme.blocks()) {
            if (!b.language().equals("java") || quickStart.contains(b.text())) {
                continue;
            }
            String name = "Snippet" + b.line();
            String body = b.text().contains("static void main(") ? b.text()
                    : "static void snippet(int pid, int myListenFd) throws Exception {\n" + b.text() + "}\n";
            sources.add(Files.writeString(dir.resolve(name + ".java"), IMPORTS + "// README.md line " + b.line() + "\n"
                    + "class " + name + " {\n" + body
                    + "static void reloadConfig() {}\nstatic void serve(ServerSocket s) {}\n}\n"));
        }
        assertTrue(sources.size() >= 5, "the README's Java snippets were found: " + sources.size());
        String classPath = Stream.of(System.getProperty("java.class.path", ""), System.getProperty("jdk.module.path", ""))
                .filter(s -> !s.isEmpty()).collect(Collectors.joining(File.pathSeparator));
        List<String> javac = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "-proc:none", "-d", dir.resolve("classes").toString(), "-cp", classPath));
        sources.forEach(s -> javac.add(s.toString()));
        Cli.Result r = Cli.exec(new ProcessBuilder(javac), Duration.ofSeconds(120));
        assertEquals(0, r.exitCode(), "a README snippet does not compile (file names carry its line):\n" + r.all());
    }
}
