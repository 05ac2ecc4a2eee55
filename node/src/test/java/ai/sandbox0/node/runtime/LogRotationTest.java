package ai.sandbox0.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A log past its cap keeps its last part in one rotated segment and starts again under a live writer. */
class LogRotationTest {

    @TempDir
    Path dir;

    @Test
    void thePartPastTheCapMovesAsideAndTheWriterGoesOnAtTheStart() throws Exception {
        Path log = dir.resolve("procd.log");
        try (var writer = new FileOutputStream(log.toFile(), true)) { // O_APPEND, as tini's stdout
            for (int i = 0; i < 1000; i++) {
                writer.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
            }
            long before = Files.size(log);
            assertThat(LogRotation.rotateIfOver(log, before)).as("at the cap: nothing to do").isFalse();
            assertThat(LogRotation.rotateIfOver(log, 100)).isTrue();

            assertThat(Files.size(log)).isZero();
            String kept = Files.readString(LogRotation.rotated(log));
            assertThat(kept).hasSize(100).endsWith("line 999\n");

            writer.write("after\n".getBytes(StandardCharsets.UTF_8));
            assertThat(Files.readString(log)).isEqualTo("after\n");
        }
        assertThat(LogRotation.rotateIfOver(dir.resolve("missing.log"), 1)).isFalse();
    }
}
