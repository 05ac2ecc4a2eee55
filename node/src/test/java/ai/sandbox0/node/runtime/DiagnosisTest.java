package ai.sandbox0.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiagnosisTest {

    @TempDir
    Path dir;

    @Test
    void readsTinisVerdictAndKeepsTheLastLines() throws Exception {
        Path out = Files.writeString(dir.resolve("procd.log"), """
                [INFO  tini (1)] Spawned child process '/opt/sandbox0/jdk/bin/java' with pid '7'
                Error: Could not find or load main class x
                [INFO  tini (1)] Main child exited normally (with status '1')
                """);
        Diagnosis d = Diagnosis.ofStopped(out, false);
        assertThat(d).isInstanceOf(Diagnosis.Exited.class);
        assertThat(((Diagnosis.Exited) d).exitCode()).isEqualTo(1);
        assertThat(d.describe()).contains("procd exited with code 1", "Could not find or load main class");
    }

    @Test
    void oomKillIsNamed() throws Exception {
        Path out = Files.writeString(dir.resolve("procd.log"),
                "[INFO  tini (1)] Main child exited with signal (with signal 'Killed')\n");
        Diagnosis d = Diagnosis.ofStopped(out, true);
        assertThat(d).isEqualTo(new Diagnosis.Killed("Killed", true, Diagnosis.tail(out, 20)));
        assertThat(d.summary()).contains("OOM-killed");
        assertThat(Diagnosis.ofStopped(dir.resolve("none"), false)).isInstanceOf(Diagnosis.Vanished.class);
    }
}
