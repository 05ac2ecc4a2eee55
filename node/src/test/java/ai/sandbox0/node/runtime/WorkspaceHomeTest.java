package ai.sandbox0.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * procd's working directory for a user other than root comes from the image's /etc/passwd, and under a
 * read-only root it is bind-mounted from the host side of the rootfs: an image must not steer it outside.
 */
class WorkspaceHomeTest {

    @TempDir
    Path rootfs;

    @Test
    void rootWorksInRootsHomeAndOthersInTheirsWhenTheImageHasIt() throws Exception {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.createDirectories(rootfs.resolve("home/dev"));
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n"
                + "dev:x:1000:1000::/home/dev:/bin/sh\nghost:x:1001:1001::/home/ghost:/bin/sh\n");
        assertThat(SandboxLauncher.home(rootfs, 0)).isEqualTo("/root");
        assertThat(SandboxLauncher.home(rootfs, 1000)).isEqualTo("/home/dev");
        assertThat(SandboxLauncher.home(rootfs, 1001)).as("a home the image lacks").isEqualTo("/tmp");
        assertThat(SandboxLauncher.home(rootfs, 1002)).as("no entry").isEqualTo("/tmp");
    }

    @Test
    void aHomeReachedThroughALinkOrDotsIsNotTaken() throws Exception {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.createSymbolicLink(rootfs.resolve("home"), Path.of("/"));
        Files.createDirectories(rootfs.resolve("srv"));
        Files.writeString(rootfs.resolve("etc/passwd"), "dev:x:1000:1000::/home/etc:/bin/sh\n"
                + "up:x:1001:1001::/srv/../../etc:/bin/sh\n");
        assertThat(SandboxLauncher.home(rootfs, 1000)).isEqualTo("/tmp");
        assertThat(SandboxLauncher.home(rootfs, 1001)).isEqualTo("/tmp");
        assertThat(SandboxLauncher.plainDirectory(rootfs, "/srv")).isTrue();
        assertThat(SandboxLauncher.plainDirectory(rootfs, "/home")).isFalse();
        assertThat(SandboxLauncher.plainDirectory(rootfs, "/")).isFalse();
    }

    @Test
    void aPasswdThatIsALinkIsNotReadOnTheHost() throws Exception {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.createDirectories(rootfs.resolve("home/dev"));
        Path elsewhere = Files.writeString(rootfs.resolve("home/not-passwd"), "dev:x:1000:1000::/home/dev:/bin/sh\n");
        Files.createSymbolicLink(rootfs.resolve("etc/passwd"), elsewhere);
        assertThat(SandboxLauncher.home(rootfs, 1000)).isEqualTo("/tmp");
    }
}
