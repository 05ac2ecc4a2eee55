package ai.sandbox0.node.testing;

import ai.sandbox0.node.RegistryCredentials;
import ai.sandbox0.node.image.HostImageCache;
import ai.sandbox0.node.image.Image;
import ai.sandbox0.node.image.NodeStorage;
import ai.sandbox0.node.layer.LayerLease;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The builtin {@code default} image (Debian bookworm with python3, node, git, curl: built once per host
 * by the image store into /var/cache/sandbox0, about a minute the first time), extracted into one test
 * storage dir shared by the node's test classes and held for the whole test JVM. A child JVM gets the
 * extracted dir through {@code -Ds0.test.rootfs} (the storage's lock belongs to the parent).
 */
public final class TestRootfs {

    static final Path STORAGE = Path.of("/var/cache/sandbox0-test/storage");

    private static NodeStorage storage;
    private static Image image;
    private static LayerLease lease;

    private TestRootfs() {
    }

    /** The image's extracted root dir. */
    public static synchronized Path get() {
        String given = System.getProperty("s0.test.rootfs");
        if (given != null) {
            return Path.of(given);
        }
        try {
            if (lease == null) {
                lease = storage().layers().acquire(defaultImage().chain());
            }
            List<Path> dirs = lease.directories();
            if (dirs.size() != 1) {
                throw new IllegalStateException("the default image should be one layer, got " + dirs.size());
            }
            return dirs.getFirst();
        } catch (IOException e) {
            throw new IllegalStateException("cannot provide the default image: " + e.getMessage(), e);
        }
    }

    /** The shared test storage, opened once per JVM (its layer cache is locked to one process). */
    public static synchronized NodeStorage storage() throws IOException {
        if (storage == null) {
            HostRequirements.check();
            storage = NodeStorage.open(STORAGE, HostImageCache.DEFAULT_ROOT, Path.of("/usr/sbin/debootstrap"),
                    RegistryCredentials.ANONYMOUS, Set.of());
        }
        return storage;
    }

    public static synchronized Image defaultImage() throws IOException {
        if (image == null) {
            image = storage().images().resolve("default", line -> System.err.println("default image: " + line));
        }
        return image;
    }
}
