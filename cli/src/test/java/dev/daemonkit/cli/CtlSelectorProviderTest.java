package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.channels.spi.SelectorProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ctl names the JDK's selector provider (no class-path scan), unless the user named one. */
class CtlSelectorProviderTest {
    private static final String PROPERTY = "java.nio.channels.spi.SelectorProvider";
    private String saved;

    @BeforeEach
    void save() {
        saved = System.getProperty(PROPERTY);
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(PROPERTY);
        } else {
            System.setProperty(PROPERTY, saved);
        }
    }

    @Test
    void namesTheClassTheJdkWouldPickByDefault() {
        System.clearProperty(PROPERTY);
        // What SelectorProvider.provider() picks without the property (no provider service file
        // on this class path; asked before the property is set): the named class is that one.
        String jdkDefault = SelectorProvider.provider().getClass().getName();
        CtlCommand.useJdkSelectorProvider();
        assertEquals(jdkDefault, System.getProperty(PROPERTY));
    }

    @Test
    void leavesTheUsersChoiceAlone() {
        System.setProperty(PROPERTY, "com.example.MyProvider");
        CtlCommand.useJdkSelectorProvider();
        assertEquals("com.example.MyProvider", System.getProperty(PROPERTY));
    }
}
