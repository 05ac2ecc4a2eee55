package ai.sandbox0.node.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A tiny read-only layer the node stacks on top of every image: the mount points of what the runtime
 * mounts (procd's runtime, /etc/hosts and friends, /proc, /dev, /sys, /tmp). Without it runc would
 * create them in the sandbox's upper dir, and every checkpoint would carry a copied-up /opt or /etc
 * even when the sandbox changed nothing.
 */
public final class RuntimeSkeleton {

    private RuntimeSkeleton() {
    }

    /** Creates the skeleton under {@code dir} once (idempotent) and returns it. */
    public static synchronized Path ensure(Path dir) throws SetupException {
        try {
            Path done = dir.resolve(".complete");
            Path root = dir.resolve("rootfs");
            if (Files.exists(done)) {
                return root;
            }
            for (String d : new String[] {"dev", "proc", "sys", "etc", "opt/sandbox0/jdk", "opt/sandbox0/procd"}) {
                Files.createDirectories(root.resolve(d));
            }
            Files.createDirectories(root.resolve("tmp"));
            Files.setPosixFilePermissions(root.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
            for (String f : new String[] {"opt/sandbox0/tini", "etc/hostname", "etc/hosts", "etc/resolv.conf"}) {
                if (!Files.exists(root.resolve(f))) {
                    Files.createFile(root.resolve(f));
                }
            }
            Files.createFile(done);
            return root;
        } catch (IOException e) {
            throw new SetupException(Step.PREPARE_DIRS, "cannot create the runtime skeleton in " + dir + ": " + e.getMessage(), e);
        }
    }
}
