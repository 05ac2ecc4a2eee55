package ai.sandbox0.node.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's integration tests need a real host: root, runc, tini, overlayfs, iproute2, nftables.
 * A missing piece fails the tests loudly (never skips them): a green run must mean sandboxes work.
 */
public final class HostRequirements {

    private static volatile boolean checked;

    private HostRequirements() {
    }

    public static void check() {
        if (checked) {
            return;
        }
        var problems = new ArrayList<String>();
        try {
            String status = Files.readString(Path.of("/proc/self/status"));
            if (!status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElse("").split("\\s+")[2].equals("0")) {
                problems.add("tests must run as root (namespaces, cgroups, overlay mounts)");
            }
            if (!Files.readString(Path.of("/proc/filesystems")).contains("overlay")) {
                problems.add("the kernel has no overlayfs (modprobe overlay)");
            }
        } catch (IOException e) {
            problems.add("not Linux: " + e.getMessage());
        }
        for (String bin : List.of("/usr/sbin/runc", "/usr/bin/tini-static", "/usr/sbin/ip", "/usr/sbin/nft",
                "/usr/sbin/debootstrap")) {
            if (!Files.isExecutable(Path.of(bin))) {
                problems.add(bin + " is missing (apt-get install runc tini iproute2 nftables debootstrap)");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("this host cannot run sandboxes: " + String.join("; ", problems));
        }
        checked = true;
    }
}
