package ai.sandbox0.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code .mvn/jdk25.sh}, which ./mvnw and bin/s0 source to find a JDK 25 whatever the default java is. */
class JdkSelectionTest {

    private static final Path SCRIPT = Path.of("..", ".mvn", "jdk25.sh").toAbsolutePath().normalize();

    @TempDir
    Path jvms;

    private Path fakeJdk(String name, String version) throws Exception {
        Path home = jvms.resolve(name);
        Files.createDirectories(home.resolve("bin"));
        for (String tool : new String[] {"java", "javac"}) {
            Path bin = Files.writeString(home.resolve("bin").resolve(tool), "#!/bin/sh\n");
            bin.toFile().setExecutable(true);
        }
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"" + version + "\"\n");
        return home;
    }

    private record Outcome(int exit, String output) {
    }

    private Outcome select(Map<String, String> env) throws Exception {
        var builder = new ProcessBuilder("sh", "-c", "set -euf; . \"$0\"; echo \"$JAVA_HOME\"", SCRIPT.toString())
                .redirectErrorStream(true);
        builder.environment().remove("JAVA_HOME");
        builder.environment().put("S0_JDK_DIR", jvms.toString());
        builder.environment().putAll(env);
        Process process = builder.start();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return new Outcome(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
    }

    @Test
    void javaHomeThatIs25Wins() throws Exception {
        fakeJdk("temurin-25-jdk-amd64", "25.0.3");
        Path chosen = fakeJdk("custom", "25");

        assertThat(select(Map.of("JAVA_HOME", chosen.toString()))).isEqualTo(new Outcome(0, chosen.toString()));
    }

    @Test
    void olderJavaHomeFallsBackToAJdk25OnTheMachine() throws Exception {
        Path old = fakeJdk("java-17-openjdk-amd64", "17.0.15");
        fakeJdk("java-25-broken", "2.5");
        Path jdk25 = fakeJdk("temurin-25-jdk-amd64", "25.0.3");

        assertThat(select(Map.of("JAVA_HOME", old.toString()))).isEqualTo(new Outcome(0, jdk25.toString()));
        assertThat(select(Map.of())).isEqualTo(new Outcome(0, jdk25.toString()));
    }

    @Test
    void noJdk25IsAClearError() throws Exception {
        Path old = fakeJdk("java-17-openjdk-amd64", "17.0.15");

        Outcome outcome = select(Map.of("JAVA_HOME", old.toString()));

        assertThat(outcome.exit()).isEqualTo(1);
        assertThat(outcome.output()).contains("Sandbox0 needs a JDK 25").contains(old.toString()).contains("temurin-25");
    }
}
