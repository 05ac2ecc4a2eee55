package ai.sandbox0.node.image;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.node.blob.LocalBlobStore;
import ai.sandbox0.node.layer.HostPrerequisites;
import ai.sandbox0.node.layer.LayerUnpacker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host image cache with a fake builder, across real processes. */
class HostImageCacheTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsRoot() throws IOException {
        HostPrerequisites.requireRootAndOverlay();
    }

    @Test
    void twoProcessesStartingAtOnceBuildOnce() throws Exception {
        Path cacheRoot = dir.resolve("cache");
        Path buildLog = dir.resolve("builds.log");
        var processes = new ArrayList<Process>();
        for (int i = 0; i < 2; i++) {
            processes.add(child(cacheRoot, buildLog, 1500));
        }
        var digests = new ArrayList<String>();
        for (Process p : processes) {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(out).isZero();
            digests.add(out.lines().filter(l -> l.startsWith("sha256:")).findFirst().orElseThrow());
        }
        assertThat(digests.get(0)).isEqualTo(digests.get(1));
        assertThat(Files.readAllLines(buildLog)).hasSize(1);
        // A third use, in this process, reuses it without building.
        var again = new HostImageCache(cacheRoot, FakeBuildMain.builder(buildLog, 0), MountTable.ofThisHost())
                .ensure(FakeBuildMain.RECIPE, ImageProgress.NONE);
        assertThat(again.layer().digest().toString()).isEqualTo(digests.get(0));
        assertThat(Files.readAllLines(buildLog)).hasSize(1);
    }

    @Test
    void aKilledBuildLeavesNothingThatLooksFinished() throws Exception {
        Path cacheRoot = dir.resolve("cache");
        Path buildLog = dir.resolve("builds.log");
        Process doomed = child(cacheRoot, buildLog, 60_000);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!(Files.exists(buildLog) && !Files.readString(buildLog).isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(200);
        doomed.destroyForcibly().waitFor(); // kill -9 mid-build
        String key = FakeBuildMain.RECIPE.key();
        assertThat(cacheRoot.resolve("images/" + key + ".json")).doesNotExist();
        try (var builds = Files.list(cacheRoot.resolve("build"))) {
            assertThat(builds).hasSize(1);
        }

        var built = new HostImageCache(cacheRoot, FakeBuildMain.builder(buildLog, 0), MountTable.ofThisHost())
                .ensure(FakeBuildMain.RECIPE, ImageProgress.NONE);
        assertThat(cacheRoot.resolve("images/" + key + ".json")).exists();
        try (var builds = Files.list(cacheRoot.resolve("build"))) {
            assertThat(builds).as("the leftover staging dir is gone").isEmpty();
        }
        assertThat(Files.readAllLines(buildLog)).hasSize(2);

        // What the sandbox gets: the tree without host identity, caches, logs or device nodes.
        Path rootfs = dir.resolve("rootfs");
        try (var in = new LocalBlobStore(cacheRoot.resolve("blobs")).open(built.layer().digest())) {
            new LayerUnpacker().unpack(in, rootfs);
        }
        assertThat(rootfs.resolve("etc/os-release")).exists();
        assertThat(rootfs.resolve("etc/hostname")).doesNotExist();
        assertThat(rootfs.resolve("etc/resolv.conf")).isEmptyFile();
        assertThat(rootfs.resolve("dev")).isEmptyDirectory();
        assertThat(rootfs.resolve("var/cache/apt/archives/bash.deb")).doesNotExist();
        assertThat(rootfs.resolve("var/log/apt")).isEmptyDirectory();
        assertThat(built.config().env()).anyMatch(e -> e.startsWith("PATH="));
    }

    private static Process child(Path cacheRoot, Path buildLog, long sleepMillis) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        return new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), FakeBuildMain.class.getName(), cacheRoot.toString(),
                buildLog.toString(), Long.toString(sleepMillis))).redirectErrorStream(true).start();
    }
}
