package ai.sandbox0.node.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.node.runtime.HostCommand;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The volume pool on a real btrfs filesystem on a real loop device, as the node's volume API uses it. */
class VolumePoolTest {

    private static final long GIB = 1L << 30, MIB = 1L << 20;
    private static final String A = "0b4c7a55-1f0e-4c4e-9a7e-3d2f1c0b9a01";
    private static final String B = "0b4c7a55-1f0e-4c4e-9a7e-3d2f1c0b9a02";
    private static final String C = "0b4c7a55-1f0e-4c4e-9a7e-3d2f1c0b9a03";
    private static final String S = "5a0b1c2d-0000-4000-8000-000000000001";

    @TempDir
    Path temp;
    Path dir;
    VolumePool pool;

    @BeforeEach
    void open() throws IOException {
        dir = temp.resolve("volumes");
        pool = VolumePool.open(dir, GIB);
    }

    /** Whatever a test did, the host keeps no mount or loop device of it. */
    @AfterEach
    void leaveTheHostClean() throws IOException {
        if (pool != null) {
            pool.close();
        }
        var left = new ArrayList<String>();
        List<Path> mounts = Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> Path.of(l.split(" ")[1]))
                .filter(p -> p.startsWith(temp)).sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList();
        for (Path m : mounts) {
            left.add("mount " + m);
            HostCommand.run(List.of("umount", "--lazy", m.toString()));
        }
        for (String loop : PoolDisk.loopsOf(dir.resolve("pool.img"))) {
            left.add("loop " + loop);
            HostCommand.run(List.of("losetup", "-d", loop));
        }
        assertThat(left).as("left on the host after close").isEmpty();
    }

    @Test
    void aNewVolumeIsEmptyAndBelongsToItsOwner() throws IOException {
        pool.create(A, 1000, 1001);

        assertThat(pool.exists(A)).isTrue();
        assertThat(pool.exists(B)).isFalse();
        assertThat(pool.snapshotExists(A)).isFalse();
        assertThat(tree(pool.root(A))).isEmpty();
        assertThat(Files.getAttribute(pool.root(A), "unix:uid")).isEqualTo(1000);
        assertThat(Files.getAttribute(pool.root(A), "unix:gid")).isEqualTo(1001);
        assertThatThrownBy(() -> pool.create(A, 0, 0)).isInstanceOf(FileAlreadyExistsException.class);
    }

    @Test
    void forksAndSnapshotsAreIsolatedFromTheirSourceBothWays() throws IOException {
        pool.create(A, 1000, 1000);
        write(pool.root(A), "shared.txt", "before");

        pool.fork(A, B);
        pool.snapshot(A, S);
        write(pool.root(A), "shared.txt", "source after");
        write(pool.root(A), "source-only.txt", "x");
        write(pool.root(B), "fork-only.txt", "y");

        assertThat(tree(pool.root(B))).isEqualTo(Map.of("/shared.txt", "before", "/fork-only.txt", "y"));
        write(pool.root(B), "shared.txt", "fork after");
        assertThat(tree(pool.root(A))).isEqualTo(Map.of("/shared.txt", "source after", "/source-only.txt", "x"));
        assertThat(tree(pool.snapshotRoot(S))).isEqualTo(Map.of("/shared.txt", "before"));
        assertThatThrownBy(() -> write(pool.snapshotRoot(S), "new.txt", "z")).isInstanceOf(FileSystemException.class)
                .hasMessageContaining("Read-only");
        assertThat(Files.getAttribute(pool.root(B), "unix:uid")).as("a fork keeps its source's owner").isEqualTo(1000);

        assertThatThrownBy(() -> pool.fork(C, "0b4c7a55-1f0e-4c4e-9a7e-3d2f1c0b9a09")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> pool.fork(A, B)).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> pool.snapshot(A, S)).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> pool.snapshot(C, "5a0b1c2d-0000-4000-8000-000000000002"))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aVolumeFromASnapshotStartsFromItsStateAndGoesItsOwnWay() throws IOException {
        pool.create(A, 0, 0);
        write(pool.root(A), "dir/a.txt", "snapshot state");
        pool.snapshot(A, S);
        write(pool.root(A), "dir/a.txt", "later state");

        pool.createFromSnapshot(S, B);
        write(pool.root(B), "dir/b.txt", "new");

        assertThat(tree(pool.root(B))).isEqualTo(Map.of("/dir/a.txt", "snapshot state", "/dir/b.txt", "new"));
        assertThat(tree(pool.root(A))).isEqualTo(Map.of("/dir/a.txt", "later state"));
        assertThat(tree(pool.snapshotRoot(S))).isEqualTo(Map.of("/dir/a.txt", "snapshot state"));
        assertThatThrownBy(() -> pool.createFromSnapshot("5a0b1c2d-0000-4000-8000-000000000009", C))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void restoreBringsBackTheSnapshotAfterManyWritesAndCanBeRepeated() throws IOException {
        pool.create(A, 1000, 1000);
        for (int i = 0; i < 40; i++) {
            write(pool.root(A), "src/d" + i % 4 + "/f" + i + ".txt", "original " + i);
        }
        pool.snapshot(A, S);
        Map<String, String> snapshotState = tree(pool.root(A));

        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 40; i += 2) {
                write(pool.root(A), "src/d" + i % 4 + "/f" + i + ".txt", "changed in round " + round);
            }
            for (int i = 0; i < 300; i++) {
                write(pool.root(A), "new/n" + i % 7 + "/g" + i, "x".repeat(i));
            }
            deleteTree(pool.root(A).resolve("src/d1"));
            Files.move(pool.root(A).resolve("src/d3"), pool.root(A).resolve("moved"));
            assertThat(tree(pool.root(A))).isNotEqualTo(snapshotState);

            pool.restore(A, S);

            assertThat(tree(pool.root(A))).as("round " + round).isEqualTo(snapshotState);
            assertThat(pool.snapshotExists(S)).isTrue();
        }
        assertThat(Files.getAttribute(pool.root(A), "unix:uid")).isEqualTo(1000);
        assertThatThrownBy(() -> pool.restore(A, "5a0b1c2d-0000-4000-8000-000000000009"))
                .isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> pool.restore(B, S)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aMountedVolumeIsNeitherRestoredNorDeletedUntilUnmounted() throws IOException {
        pool.create(A, 0, 0);
        pool.create(B, 0, 0);
        write(pool.root(A), "sub/kept.txt", "old");
        pool.snapshot(A, S);
        write(pool.root(A), "sub/kept.txt", "new");
        Path sandboxView = Files.createDirectories(temp.resolve("sandbox-view"));
        Path subView = Files.createDirectories(temp.resolve("sub-view"));

        bind(pool.root(A), sandboxView);
        try {
            assertThat(pool.mounted(A)).isTrue();
            assertThat(pool.mounted(B)).isFalse();
            assertThatThrownBy(() -> pool.restore(A, S)).isInstanceOf(VolumeBusyException.class);
            assertThatThrownBy(() -> pool.deleteVolume(A)).isInstanceOf(VolumeBusyException.class);
            assertThat(Files.readString(sandboxView.resolve("sub/kept.txt"))).as("the mount still works").isEqualTo("new");
        } finally {
            unmount(sandboxView);
        }
        bind(pool.root(A).resolve("sub"), subView);
        try {
            assertThat(pool.mounted(A)).as("a mount of a directory inside the volume counts too").isTrue();
            assertThatThrownBy(() -> pool.deleteVolume(A)).isInstanceOf(VolumeBusyException.class);
        } finally {
            unmount(subView);
        }

        assertThat(pool.mounted(A)).isFalse();
        pool.restore(A, S);
        assertThat(tree(pool.root(A))).isEqualTo(Map.of("/sub/kept.txt", "old"));
        pool.deleteVolume(A);
        assertThat(pool.exists(A)).isFalse();
    }

    @Test
    void deletingTwiceOrWhatNeverExistedSucceeds() throws IOException {
        pool.create(A, 0, 0);
        write(pool.root(A), "a.txt", "a");
        pool.snapshot(A, S);

        pool.deleteSnapshot(S);
        pool.deleteSnapshot(S);
        pool.deleteVolume(A);
        pool.deleteVolume(A);
        pool.deleteVolume(B);

        assertThat(pool.exists(A)).isFalse();
        assertThat(pool.snapshotExists(S)).isFalse();
        assertThatThrownBy(() -> pool.fork(A, B)).isInstanceOf(NoSuchFileException.class);
        pool.create(A, 0, 0);
        assertThat(tree(pool.root(A))).as("a new volume under a deleted one's id starts empty").isEmpty();
    }

    @Test
    void aVolumeHoldingSubvolumesOfItsOwnIsStillDeleted() throws IOException {
        pool.create(A, 0, 0);
        Files.createDirectories(pool.root(A).resolve("deep"));
        Btrfs.createSubvolume(pool.root(A).resolve("deep"), "inner");
        write(pool.root(A).resolve("deep/inner"), "f.txt", "inside");

        pool.deleteVolume(A);

        assertThat(pool.exists(A)).isFalse();
    }

    @Test
    void writesPastTheLimitFailWithDiskQuotaExceededAndForksAndRestoresKeepTheLimit() throws IOException {
        pool.create(A, 0, 0);
        pool.limit(A, OptionalLong.of(8 * MIB));
        assertThat(pool.limitOf(A)).hasValue(8 * MIB);
        assertThatThrownBy(() -> fill(pool.root(A).resolve("big"), 32 * MIB)).hasMessageContaining("Disk quota exceeded");
        Files.delete(pool.root(A).resolve("big"));
        fill(pool.root(A).resolve("small"), 2 * MIB);
        pool.snapshot(A, S);

        pool.fork(A, B);
        assertThat(pool.limitOf(B)).hasValue(8 * MIB);
        assertThatThrownBy(() -> fill(pool.root(B).resolve("big"), 32 * MIB)).hasMessageContaining("Disk quota exceeded");

        pool.limit(A, OptionalLong.of(4 * MIB));
        pool.restore(A, S);
        assertThat(pool.limitOf(A)).as("a restore keeps the volume's limit, not the snapshot's").hasValue(4 * MIB);
        assertThatThrownBy(() -> fill(pool.root(A).resolve("big"), 16 * MIB)).hasMessageContaining("Disk quota exceeded");

        pool.setOwner(A, 1000, 1000);
        assertThat(pool.limitOf(A)).as("a full volume can still change owner and keeps its limit").hasValue(4 * MIB);
        assertThatThrownBy(() -> fill(pool.root(A).resolve("big2"), 16 * MIB)).hasMessageContaining("Disk quota exceeded");
        Files.deleteIfExists(pool.root(A).resolve("big2"));
        pool.limit(A, OptionalLong.empty());
        assertThat(pool.limitOf(A)).as("a full volume's limit can still be lifted").isEmpty();
        Files.deleteIfExists(pool.root(A).resolve("big"));
        fill(pool.root(A).resolve("big"), 32 * MIB);
        assertThat(pool.limitOf(A)).isEmpty();
    }

    @Test
    void reopeningAfterCloseKeepsEverything() throws IOException {
        pool.create(A, 1000, 1000);
        write(pool.root(A), "a.txt", "kept");
        pool.snapshot(A, S);
        pool.fork(A, B);
        pool.limit(B, OptionalLong.of(8 * MIB));
        pool.close();
        assertThat(mountedAt(dir.resolve("mnt"))).isFalse();
        assertThat(PoolDisk.loopsOf(dir.resolve("pool.img"))).as("close frees the loop device").isEmpty();

        pool = VolumePool.open(dir, GIB);

        assertThat(tree(pool.root(A))).isEqualTo(Map.of("/a.txt", "kept"));
        assertThat(tree(pool.snapshotRoot(S))).isEqualTo(Map.of("/a.txt", "kept"));
        assertThat(tree(pool.root(B))).isEqualTo(Map.of("/a.txt", "kept"));
        assertThat(Files.getAttribute(pool.root(A), "unix:uid")).isEqualTo(1000);
        assertThatThrownBy(() -> fill(pool.root(B).resolve("big"), 32 * MIB)).hasMessageContaining("Disk quota exceeded");
    }

    @Test
    void aPoolOpenedWithMoreRoomGrowsAndKeepsItsVolumes() throws IOException {
        pool.create(A, 0, 0);
        write(pool.root(A), "a.txt", "kept");
        long before = Files.getFileStore(pool.root(A)).getTotalSpace();
        pool.close();

        pool = VolumePool.open(dir, 2 * GIB);

        assertThat(Files.getFileStore(pool.root(A)).getTotalSpace()).isGreaterThan(before + GIB / 2);
        assertThat(tree(pool.root(A))).isEqualTo(Map.of("/a.txt", "kept"));
    }

    @Test
    void aProcessThatDiedWithThePoolAttachedIsSucceededWithoutASecondDevice() throws IOException {
        pool.create(A, 0, 0);
        write(pool.root(A), "a.txt", "kept");
        // The first pool's process "dies": its pool is never closed, the mount and the loop device stay.
        pool = VolumePool.open(dir, GIB);
        assertThat(tree(pool.root(A))).isEqualTo(Map.of("/a.txt", "kept"));

        // The mount went (an operator's umount), the loop device stayed.
        unmount(dir.resolve("mnt"));
        pool = VolumePool.open(dir, GIB);
        assertThat(tree(pool.root(A))).isEqualTo(Map.of("/a.txt", "kept"));
        assertThat(PoolDisk.loopsOf(dir.resolve("pool.img"))).hasSize(1);
    }

    @Test
    void openRemovesWhatACrashLeftHalfDone() throws IOException {
        pool.create(A, 0, 0);
        write(pool.root(A), "a.txt", "current");
        pool.snapshot(A, S);
        Path vols = pool.root(A).getParent();
        // A restore that died before its exchange, and a create that died before it was renamed into place.
        btrfs("subvolume", "snapshot", pool.snapshotRoot(S).toString(), vols.resolve(A + ".restoring").toString());
        btrfs("subvolume", "snapshot", pool.root(A).toString(), vols.resolve(B + ".tmp").toString());
        pool.close();

        pool = VolumePool.open(dir, GIB);

        try (Stream<Path> names = Files.list(vols)) {
            assertThat(names.map(p -> p.getFileName().toString()).toList()).containsExactly(A);
        }
        assertThat(tree(pool.root(A))).isEqualTo(Map.of("/a.txt", "current"));
        assertThat(pool.exists(B)).isFalse();
        pool.fork(A, B);
        assertThat(pool.exists(B)).as("the id of the interrupted create is free").isTrue();
    }

    @Test
    void concurrentOperationsOnOneVolumeAllComplete() throws Exception {
        pool.create(A, 0, 0);
        write(pool.root(A), "a.txt", "shared");
        var forks = new ArrayList<Future<?>>();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 8; i++) {
                String id = "f0000000-0000-4000-8000-00000000000" + i;
                String snapshot = "e0000000-0000-4000-8000-00000000000" + i;
                forks.add(threads.submit(() -> {
                    pool.fork(A, id);
                    pool.snapshot(A, snapshot);
                    return null;
                }));
            }
            for (Future<?> f : forks) {
                f.get();
            }
        }
        for (int i = 0; i < 8; i++) {
            assertThat(tree(pool.root("f0000000-0000-4000-8000-00000000000" + i))).isEqualTo(Map.of("/a.txt", "shared"));
            assertThat(pool.snapshotExists("e0000000-0000-4000-8000-00000000000" + i)).isTrue();
        }
    }

    @Test
    void idsThatCouldNameAnotherPlaceAreRefused() {
        for (String bad : List.of("", ".", "..", "../x", "a/b", "a.tmp", "x".repeat(65), "a b", "/etc")) {
            assertThatThrownBy(() -> pool.create(bad, 0, 0)).as(bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> pool.root(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> pool.deleteSnapshot(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
            assertThat(pool.exists(bad)).as(bad).isFalse();
        }
        assertThatThrownBy(() -> pool.create(A, -1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    // -- helpers

    private static void write(Path root, String relative, String content) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    /** Every regular file under {@code root} by its path from the root, with its content. */
    private static Map<String, String> tree(Path root) throws IOException {
        var files = new TreeMap<String, String>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                files.put("/" + root.relativize(p), Files.readString(p));
            }
        }
        return files;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void fill(Path file, long bytes) throws IOException {
        byte[] chunk = new byte[(int) MIB];
        new java.util.Random(1).nextBytes(chunk);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < bytes; written += chunk.length) {
                out.write(chunk);
            }
        }
    }

    private static void bind(Path source, Path target) throws IOException {
        check(HostCommand.run(List.of("mount", "--bind", source.toString(), target.toString())));
    }

    private static void unmount(Path target) throws IOException {
        check(HostCommand.run(List.of("umount", target.toString())));
    }

    private static void btrfs(String... args) throws IOException {
        var argv = new ArrayList<String>(List.of("btrfs"));
        argv.addAll(List.of(args));
        check(HostCommand.run(argv));
    }

    private static void check(HostCommand.Result r) throws IOException {
        if (!r.ok()) {
            throw new IOException(String.join(" ", r.argv()) + ": " + r.diagnostic());
        }
    }

    private static boolean mountedAt(Path path) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream().anyMatch(l -> l.split(" ")[1].equals(path.toString()));
    }
}
