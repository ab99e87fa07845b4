package dev.daemonkit.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Small shell scripts that tests run as programs. */
public final class Scripts {
    private Scripts() {
    }

    /** Writes {@code #!/bin/sh} + {@code body} to {@code dir/name}, mode 0755, and returns its path. */
    public static Path executable(Path dir, String name, String body) throws IOException {
        Path script = dir.resolve(name);
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    /** A file's text, or "" while it does not exist (yet): for polling what a script wrote. */
    public static String textOf(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
