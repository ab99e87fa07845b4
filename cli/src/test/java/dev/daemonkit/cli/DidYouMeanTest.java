package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.testkit.Cli;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DidYouMeanTest {
    @Test
    void typosFindTheirWordAndStrangersDoNot() {
        List<String> known = List.of("pidfile", "timeout", "signal", "log");
        assertEquals(Optional.of("pidfile"), DidYouMean.closest("pidflie", known), "a swap is one edit");
        assertEquals(Optional.of("pidfile"), DidYouMean.closest("piddfile", known));
        assertEquals(Optional.of("timeout"), DidYouMean.closest("time", known), "a prefix");
        assertEquals(Optional.of("log"), DidYouMean.closest("lg", known));
        assertEquals(Optional.empty(), DidYouMean.closest("frobnicate", known));
        assertEquals(1, DidYouMean.distance("stop", "stpo"));
    }

    @Test
    void theCliSuggestsCommandsAndOptions() throws Exception {
        Cli.Result cmd = Cli.run("stpo", "--pidfile", "/tmp/x.pid");
        assertEquals(2, cmd.exitCode(), cmd.all());
        assertTrue(cmd.stderr().contains("unknown command 'stpo' (did you mean stop?)"), cmd.all());
        Cli.Result opt = Cli.run("status", "--pidflie", "/tmp/x.pid");
        assertEquals(2, opt.exitCode(), opt.all());
        assertTrue(opt.stderr().contains("unknown option: --pidflie (did you mean --pidfile?)"), opt.all());
        Cli.Result none = Cli.run("status", "--frobnicate");
        assertTrue(none.stderr().contains("unknown option: --frobnicate") && !none.stderr().contains("did you mean"),
                none.all());
    }
}
