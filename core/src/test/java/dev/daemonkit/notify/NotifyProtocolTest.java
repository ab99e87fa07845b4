package dev.daemonkit.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.daemon.SdNotify;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.process.ListenAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The sd_notify message format, the receiving socket and its sender check, and the protocol's options. */
class NotifyProtocolTest {
    @Test
    void messagesAreKeyValueLinesAndUntrustedNumbersAreChecked() {
        NotifyMessage m = NotifyMessage.parse("READY=1\nSTATUS=up: 3 workers\nMAINPID=4242\nEXTEND_TIMEOUT_USEC=2500000\n"
                .getBytes(StandardCharsets.UTF_8));
        assertTrue(m.ready());
        assertFalse(m.stopping());
        assertEquals(Optional.of("up: 3 workers"), m.status());
        assertEquals(OptionalInt.of(4242), m.mainPid());
        assertEquals(Optional.of(Duration.ofMillis(2500)), m.extendTimeout());
        NotifyMessage bad = NotifyMessage.parse("READY=yes\nMAINPID=-1\nEXTEND_TIMEOUT_USEC=lots\nno equals sign\nWATCHDOG=trigger"
                .getBytes(StandardCharsets.UTF_8));
        assertFalse(bad.ready(), "only READY=1 is ready");
        assertEquals(OptionalInt.empty(), bad.mainPid());
        assertEquals(Optional.empty(), bad.extendTimeout());
        assertTrue(bad.watchdogTrigger());
        assertFalse(bad.watchdogPing());
        NotifyMessage reload = NotifyMessage.parse("RELOADING=1\nMONOTONIC_USEC=123".getBytes(StandardCharsets.UTF_8));
        assertTrue(reload.reloading());
        assertEquals(123, reload.monotonicUsec().orElseThrow());
    }

    @Test
    void theSocketDeliversDatagramsOfAcceptedSendersOnly() throws Exception {
        try (NotifySocket s = NotifySocket.open()) {
            assertTrue(s.name().startsWith("@daemonkit/notify/"), s.name());
            SdNotify.sendTo(s.name(), "STATUS=from a stranger");
            SdNotify.sendTo(s.name(), "READY=1\nSTATUS=mine");
            int self = Posix.getpid();
            // The first is refused by the sender check (say it is not ours), the second accepted.
            int[] seen = {0};
            Optional<NotifySocket.Received> r = s.receive(Duration.ofSeconds(5), pid -> pid == self && seen[0]++ > 0);
            assertTrue(r.isPresent());
            assertEquals(Optional.of("mine"), r.get().message().status());
            assertEquals(self, r.get().senderPid(), "the kernel's word for the sender, not the message's");
            assertTrue(s.receive(Duration.ofMillis(100), pid -> true).isEmpty(), "the refused one is gone");
        }
    }

    @Test
    void aProcessTreeIsTheProgramAndItsDescendants() throws Exception {
        Process child = new ProcessBuilder("sleep", "30").start();
        try {
            int self = Posix.getpid();
            assertTrue(NotifySocket.processTreeOf(self).test(self));
            assertTrue(NotifySocket.processTreeOf(self).test((int) child.pid()));
            assertFalse(NotifySocket.processTreeOf((int) child.pid()).test(self), "an ancestor is not a descendant");
            assertFalse(NotifySocket.processTreeOf(self).test(1));
        } finally {
            child.destroyForcibly().waitFor();
        }
    }

    @Test
    void listenAddressesAndTheOptionsAreValidated() {
        assertEquals(new ListenAddress("http", "127.0.0.1", 8080), ListenAddress.parse("http=127.0.0.1:8080"));
        assertEquals(new ListenAddress("unknown", "0.0.0.0", 0), ListenAddress.parse("0.0.0.0:0"));
        assertEquals("http=127.0.0.1:8080", ListenAddress.parse(" http = 127.0.0.1:8080 ").toString());
        assertThrows(IllegalArgumentException.class, () -> ListenAddress.parse("127.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> ListenAddress.parse("a:b=127.0.0.1:80"), "no colon in a name");
        assertThrows(IllegalArgumentException.class, () -> ListenAddress.parse("127.0.0.1:70000"));
        ServiceProtocol p = ServiceProtocol.NONE.withListen(ListenAddress.parse("a=127.0.0.1:1"))
                .withListen(ListenAddress.parse("b=127.0.0.1:2"));
        assertThrows(IllegalArgumentException.class, () -> p.withReadyFd(4), "fds 3 and 4 are the sockets");
        assertEquals(5, p.withReadyFd(5).readyFd());
        assertThrows(IllegalArgumentException.class, () -> ServiceProtocol.NONE.withReadyFd(2));
        assertTrue(ServiceProtocol.NONE.withReadyFd(3).waitsForReady());
        assertFalse(ServiceProtocol.NONE.withWatchdog(Duration.ofSeconds(1)).waitsForReady());
        assertEquals(List.of(), ServiceProtocol.NONE.listen());
    }
}
