package ai.sandbox0.node.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountTableTest {

    @TempDir
    Path dir;

    @Test
    void mountsUnderADirDeepestFirstWithEscapes() throws Exception {
        Path mounts = Files.writeString(dir.resolve("mounts"), """
                /dev/vda / ext4 rw 0 0
                overlay /var/lib/s0/sandboxes/a/rootfs overlay rw,lowerdir=/x 0 0
                tmpfs /var/lib/s0/sandboxes/a/rootfs/tmp tmpfs rw 0 0
                overlay /var/lib/s0/sandboxes/with\\040space/rootfs overlay rw 0 0
                overlay /var/lib/s0x/sandboxes/b/rootfs overlay rw 0 0
                """);
        var table = new MountTable(mounts);
        assertThat(table.mountPointsUnder(Path.of("/var/lib/s0/sandboxes"))).containsExactly(
                Path.of("/var/lib/s0/sandboxes/a/rootfs/tmp"), Path.of("/var/lib/s0/sandboxes/a/rootfs"),
                Path.of("/var/lib/s0/sandboxes/with space/rootfs"));
        assertThat(table.isMountPoint(Path.of("/var/lib/s0/sandboxes/a/rootfs"))).isTrue();
    }

    @Test
    void overlayOptionsPutTheTopmostLowerFirst() {
        assertThat(Mounter.overlayOptions(List.of(Path.of("/l/base"), Path.of("/l/ckpt1")), Path.of("/u"), Path.of("/w")))
                .startsWith("lowerdir=/l/ckpt1:/l/base,upperdir=/u,workdir=/w");
    }
}
