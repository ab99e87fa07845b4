package dev.daemonkit.bench;

import com.zaxxer.nuprocess.NuAbstractProcessHandler;
import com.zaxxer.nuprocess.NuProcess;
import com.zaxxer.nuprocess.NuProcessBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import jnr.posix.SpawnFileAction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.zeroturnaround.exec.ProcessExecutor;

/**
 * Create + reap one /bin/true with the Java libraries a user might pick instead of daemonkit,
 * each used the way its documentation shows. Every child is reaped before the next.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms64m", "-Xmx6g"})
public class PeerBenchmark {
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY_CREAT_TRUNC = 01 | 0100 | 01000;

    private POSIX posix;
    private List<SpawnFileAction> devNull;
    private List<String> env;

    @Setup
    public void setUp() {
        posix = POSIXFactory.getNativePOSIX();
        // stdio on /dev/null, as for every other row
        devNull = List.of(SpawnFileAction.open("/dev/null", 0, O_RDONLY, 0),
                SpawnFileAction.open("/dev/null", 1, O_WRONLY_CREAT_TRUNC, 0644),
                SpawnFileAction.open("/dev/null", 2, O_WRONLY_CREAT_TRUNC, 0644));
        env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
    }

    /**
     * NuProcess 3.0.0 (JNA; posix_spawnp with POSIX_SPAWN_USEVFORK on Linux, stdio pipes watched by
     * its epoll thread): builder, a handler, start(), waitFor().
     */
    @Benchmark
    public int nuProcess() throws InterruptedException {
        NuProcessBuilder pb = new NuProcessBuilder(SpawnBenchmark.TRUE);
        pb.setProcessListener(new NuAbstractProcessHandler() {
        });
        NuProcess p = pb.start();
        return p.waitFor(0, TimeUnit.SECONDS);
    }

    /** jnr-posix 3.1.20: posix_spawnp with /dev/null file actions, then waitpid. */
    @Benchmark
    public int jnrPosixSpawnp() {
        long pid = posix.posix_spawnp("/bin/true", devNull, SpawnBenchmark.TRUE, env);
        if (pid < 0) {
            throw new IllegalStateException("posix_spawnp failed: errno " + posix.errno());
        }
        int[] status = new int[1];
        if (posix.waitpid(pid, status, 0) < 0) {
            throw new IllegalStateException("waitpid failed: errno " + posix.errno());
        }
        return status[0];
    }

    /** zt-exec 1.12 (ProcessBuilder underneath, output pumped by its own threads): execute(). */
    @Benchmark
    public int ztExec() throws Exception {
        return new ProcessExecutor().command(SpawnBenchmark.TRUE).execute().getExitValue();
    }
}
