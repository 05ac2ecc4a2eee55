package ai.sandbox0.node.volume;

import ai.sandbox0.node.runtime.HostCommand;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's one btrfs filesystem: a sparse image {@code <dir>/pool.img} on a loop device with direct I/O
 * (a buffered loop device caches every page twice and writes far slower than the host disk), mounted at
 * {@code <dir>/mnt}. Attaching picks up whatever a previous process left: the mount, else the loop device,
 * else the image; only a missing or never-formatted image is made anew, and one smaller than asked for grows.
 *
 * @param device the loop device, e.g. {@code /dev/loop3}
 * @param number the filesystem's {@code major:minor} in the mount table
 */
record PoolDisk(Path image, Path mount, String device, String number) {

    private static final Logger log = LoggerFactory.getLogger(PoolDisk.class);
    /** Where btrfs keeps its primary superblock's magic, {@code _BHRfS_M}. */
    private static final long MAGIC_OFFSET = 0x10040;
    private static final byte[] MAGIC = "_BHRfS_M".getBytes(StandardCharsets.US_ASCII);
    /** Smallest image mkfs.btrfs accepts with room to spare for its metadata. */
    static final long MIN_BYTES = 256L << 20;
    /**
     * noatime: a read must not write (and, in a snapshot's shared tree, unshare) metadata. nodev, nosuid: what
     * sandboxes store is never a device or a setuid program on the host.
     */
    static final String OPTIONS = "noatime,nodev,nosuid";

    static PoolDisk attach(Path dir, long maxBytes) throws IOException {
        Path image = dir.resolve("pool.img");
        Path mount = dir.resolve("mnt");
        Files.createDirectories(dir);
        // Volumes hold sandboxes' files: the pool is nobody else's to walk.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Optional<MountInfo> mounted = MountInfo.at(MountInfo.read(MountInfo.SELF), mount);
        if (mounted.isPresent() && mounted.get().type().equals("btrfs")) {
            log.info("volume pool {} still mounted from {}", mount, mounted.get().source());
            return new PoolDisk(image, mount, mounted.get().source(), mounted.get().device()).grownTo(maxBytes);
        }
        if (mounted.isPresent()) {
            throw new IOException(mount + " has a " + mounted.get().type() + " filesystem mounted, not the volume pool");
        }
        if (!Files.exists(image)) {
            try (var file = FileChannel.open(image, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                file.write(ByteBuffer.wrap(new byte[1]), Math.max(MIN_BYTES, maxBytes) - 1); // sparse
            }
        }
        if (!formatted(image)) {
            // Never formatted, or a crash interrupted mkfs: nothing on it yet, so -f loses nothing.
            run(List.of("mkfs.btrfs", "-q", "-f", "-L", "s0volumes", image.toString()), "format the volume pool");
        }
        String device = loopOf(image).orElse(null);
        boolean attached = false;
        if (device == null) {
            device = run(List.of("losetup", "--find", "--show", "--direct-io=on", image.toString()),
                    "attach the volume pool's image to a loop device").strip();
            attached = true;
        } else {
            run(List.of("losetup", "--direct-io=on", device), "switch " + device + " to direct I/O");
        }
        try {
            Files.createDirectories(mount);
            run(List.of("mount", "-t", "btrfs", "-o", OPTIONS, device, mount.toString()), "mount the volume pool");
        } catch (IOException e) {
            if (attached) {
                HostCommand.run(List.of("losetup", "-d", device));
            }
            throw e;
        }
        MountInfo m = MountInfo.at(MountInfo.read(MountInfo.SELF), mount)
                .orElseThrow(() -> new IOException(mount + " is not mounted after mount"));
        return new PoolDisk(image, mount, device, m.device()).grownTo(maxBytes);
    }

    /**
     * Grows the image, its loop device and the filesystem to {@code maxBytes} when a bigger size is asked
     * for than the image has (a node given more room); never shrinks.
     */
    PoolDisk grownTo(long maxBytes) throws IOException {
        long size = Files.size(image);
        if (maxBytes <= size) {
            if (maxBytes < size) {
                log.info("volume pool {} keeps its {} MiB (asked for {} MiB: pools never shrink)", image, size >> 20,
                        maxBytes >> 20);
            }
            return this;
        }
        try (var file = FileChannel.open(image, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(new byte[1]), maxBytes - 1); // sparse
        }
        run(List.of("losetup", "--set-capacity", device), "grow " + device);
        Btrfs.growToDevice(mount);
        log.info("volume pool {} grown from {} MiB to {} MiB", image, size >> 20, maxBytes >> 20);
        return this;
    }

    /** Unmounts (lazily if something still holds it) and frees the loop device. */
    void detach() throws IOException {
        HostCommand.Result umount = HostCommand.run(List.of("umount", mount.toString()));
        if (!umount.ok() && MountInfo.at(MountInfo.read(MountInfo.SELF), mount).isPresent()) {
            run(List.of("umount", "--lazy", mount.toString()), "unmount the volume pool");
        }
        // A device whose filesystem is still mounted elsewhere (a sandbox's bind) is freed when that goes.
        for (String loop : loopsOf(image)) {
            run(List.of("losetup", "-d", loop), "detach " + loop);
        }
    }

    private static boolean formatted(Path image) throws IOException {
        try (var file = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer magic = ByteBuffer.allocate(MAGIC.length);
            while (magic.hasRemaining() && file.read(magic, MAGIC_OFFSET + magic.position()) > 0) {
                // read all eight bytes
            }
            return java.util.Arrays.equals(magic.array(), MAGIC);
        }
    }

    static Optional<String> loopOf(Path image) throws IOException {
        return loopsOf(image).stream().findFirst();
    }

    /** The loop devices backed by {@code image}. */
    static List<String> loopsOf(Path image) throws IOException {
        String out = run(List.of("losetup", "--noheadings", "--output", "NAME", "--associated", image.toString()),
                "find the volume pool's loop device");
        var loops = new ArrayList<String>();
        out.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(loops::add);
        return loops;
    }

    private static String run(List<String> argv, String what) throws IOException {
        HostCommand.Result r = HostCommand.run(argv);
        if (!r.ok()) {
            throw new IOException("cannot " + what + ": " + String.join(" ", argv) + " exited " + r.exitCode() + ": "
                    + r.diagnostic());
        }
        return r.stdout();
    }
}
