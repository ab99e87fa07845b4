package dev.daemonkit.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the daemonkit CLI in a fresh JVM, exactly as a user would (same java, the test's class
 * path, native access enabled), and captures its exit code and output.
 */
public final class Cli {
    private Cli() {
    }

    /** The result of one CLI run. */
    public record Result(int exitCode, String stdout, String stderr) {
        public String all() {
            return stdout + stderr;
        }
    }

    /** A user's uid or primary gid ({@code id -u} / {@code id -g}). */
    private static String id(String user, String flag) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("id", flag, user).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IOException("id " + flag + " " + user + ": " + out);
        }
        return out;
    }

    /** The java launcher running these tests. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@code java --enable-native-access=ALL-UNNAMED -cp <test class path> dev.daemonkit.cli.Main args...} */
    public static List<String> command(String... args) {
        return javaCommand("dev.daemonkit.cli.Main", args);
    }

    /** {@code java --enable-native-access=ALL-UNNAMED -cp <test class path> MAIN args...} */
    public static List<String> javaCommand(String mainClass, String... args) {
        return javaCommandWith(System.getProperty("java.class.path"), mainClass, args);
    }

    /** The same with another class path (e.g. {@link ReadableClassPath#get()}). */
    public static List<String> javaCommandWith(String classPath, String mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Xshare:auto");
        cmd.add("-XX:TieredStopAtLevel=1");
        // No /tmp/hsperfdata file: a JVM whose pid matches a file another pid namespace's JVM
        // holds (the init tests run JVMs as PID 1, 2...) warns on stdout, as ./daemonkit avoids too.
        cmd.add("-XX:-UsePerfData");
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Runs the CLI from a class path every user can read ({@link ReadableClassPath}), as a
     * deployment to /opt would: for daemons that drop to another user.
     */
    public static Result runDeployed(String... args) throws IOException, InterruptedException {
        return exec(null, javaCommandWith(ReadableClassPath.get(), "dev.daemonkit.cli.Main", args));
    }

    /**
     * Runs the CLI as another user (util-linux setpriv; the caller must be root), from a class
     * path that user can read.
     */
    public static Result runAs(String user, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + id(user, "-u"), "--regid=" + id(user, "-g"),
                "--clear-groups", "--"));
        cmd.addAll(javaCommandWith(ReadableClassPath.get(), "dev.daemonkit.cli.Main", args));
        return exec(null, cmd);
    }

    /** Runs the CLI and waits for it (at most 60 s, then it is killed and the test fails). */
    public static Result run(String... args) throws IOException, InterruptedException {
        return run(null, args);
    }

    /** Same, in a working directory. */
    public static Result run(Path dir, String... args) throws IOException, InterruptedException {
        return exec(dir, command(args));
    }

    /** Runs a main class of the test class path in a fresh JVM and waits for it (60 s at most). */
    public static Result runMain(String mainClass, String... args) throws IOException, InterruptedException {
        return exec(null, javaCommand(mainClass, args));
    }

    private static Result exec(Path dir, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        return exec(pb, java.time.Duration.ofSeconds(60));
    }

    /**
     * Starts {@code pb} with stdin from /dev/null, captures stdout and stderr, and waits for it; after
     * {@code timeout} it is killed and the test fails.
     */
    public static Result exec(ProcessBuilder pb, java.time.Duration timeout) throws IOException, InterruptedException {
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        // Read both streams concurrently so a chatty child cannot block on a full pipe.
        var errFuture = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", pb.command()) + " did not finish in " + timeout.toSeconds() + " s");
        }
        return new Result(p.exitValue(), out, errFuture.join());
    }
}
