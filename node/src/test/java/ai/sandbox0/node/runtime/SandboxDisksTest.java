package ai.sandbox0.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.node.testing.HostRequirements;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real loop-mounted ext4 disks: made, mounted with direct I/O, kept ready for the sizes in use, released. */
class SandboxDisksTest {

    @TempDir
    Path dir;

    @Test
    void disksAreMountedWithDirectIoAndSparesFollowTheSizesInUse() throws Exception {
        HostRequirements.check();
        var mounts = MountTable.ofThisHost();
        List<Path> taken = new ArrayList<>();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor();
                var disks = new SandboxDisks(dir, new SyscallMounter(), mounts, 1, executor)) {
            Path disk = disks.take(32L << 20);
            taken.add(disk);
            assertThat(mounts.isMountPoint(disk)).isTrue();
            String device = mounts.sourceOf(disk).orElseThrow();
            assertThat(HostCommand.run(List.of("losetup", "-n", "-O", "DIO", device)).stdout().strip())
                    .as("direct I/O: pages are not cached twice").isEqualTo("1");

            for (long mib : List.of(17L, 18L, 19L, 20L)) {
                taken.add(disks.take(mib << 20));
            }
            awaitQuiet();
            assertThat(images().size() - taken.size()).as("one spare for each of the 4 sizes taken last")
                    .isEqualTo(SandboxDisks.MAX_SPARE_SIZES);

            for (Path d : taken) {
                disks.release(d);
                assertThat(mounts.isMountPoint(d)).isFalse();
                assertThat(d).doesNotExist();
            }
            disks.close();
            assertThat(images()).as("the spares go with close").isEmpty();
            try (Stream<Path> left = Files.list(dir)) {
                assertThat(left.toList()).isEmpty();
            }
            assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dir.toString());
        }
    }

    /** A failure halfway must not leave its disks mounted on the host. */
    @AfterEach
    void unmountLeftovers() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String mountPoint = line.split(" ")[1];
            if (mountPoint.startsWith(dir.toString())) {
                HostCommand.run(List.of("umount", mountPoint));
            }
        }
    }

    private List<Path> images() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".img")).toList();
        }
    }

    /** Until no spare is being made: past the refill delay, the number of images stops changing. */
    private void awaitQuiet() throws Exception {
        Thread.sleep(SandboxDisks.REFILL_DELAY.toMillis());
        int last = -1;
        for (int i = 0; i < 60; i++) {
            Thread.sleep(500);
            int now = images().size();
            if (now == last) {
                return;
            }
            last = now;
        }
    }
}
