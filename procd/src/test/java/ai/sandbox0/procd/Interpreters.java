package ai.sandbox0.procd;

import java.nio.file.Files;
import java.nio.file.Path;

/** The REPL tests need real interpreters; a missing one is a failure, not a skip. */
final class Interpreters {

    private Interpreters() {
    }

    static void require(String... names) {
        for (String name : names) {
            if (!Files.isExecutable(Path.of("/usr/bin", name))) {
                throw new AssertionError("/usr/bin/" + name + " is required by these tests (apt-get install "
                        + (name.equals("python3") ? "python3" : name.equals("node") ? "nodejs" : name) + ")");
            }
        }
    }
}
