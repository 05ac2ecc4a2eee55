package ai.sandbox0.node.layer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Tests that mount overlays or make device nodes need root and overlayfs; without them they fail, never skip. */
public final class HostPrerequisites {

    private HostPrerequisites() {
    }

    public static void requireRootAndOverlay() throws IOException {
        String uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Uid:")).findFirst().orElse("Uid: ?").split("\\s+")[2];
        if (!uid.equals("0")) {
            throw new AssertionError("this test needs root (overlay mounts, mknod, trusted.* xattrs); effective uid is " + uid);
        }
        if (Files.readAllLines(Path.of("/proc/filesystems")).stream().noneMatch(l -> l.endsWith("overlay"))) {
            throw new AssertionError("this test needs overlayfs: modprobe overlay");
        }
    }
}
