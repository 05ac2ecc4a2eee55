package ai.sandbox0.node.volume;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Volume fork and snapshot through {@link VolumePool} (run it through {@code bench/volumes}), for a volume of
 * 1 GiB in 10k files and one of 10 MiB, next to a floor measured in the same run: the bare snapshot ioctl
 * on the same volume, which is what the kernel needs at the least; the rest is the pool's (a flush, the
 * limit, the rename into place). Prints a Markdown table.
 */
public final class VolumeBench {

    private static final long MIB = 1L << 20;

    private final VolumePool pool;
    private final Path floorDir;
    private final Random random = new Random(42);
    private final List<String> rows = new ArrayList<>();
    private int floorCount;

    private VolumeBench(VolumePool pool, Path floorDir) {
        this.pool = pool;
        this.floorDir = floorDir;
    }

    public static void main(String[] args) throws Exception {
        VolumePool.probe();
        int runs = Integer.getInteger("bench.runs", 30);
        Path work = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "/var/tmp")), "volume-bench");
        VolumePool pool = null;
        try {
            pool = VolumePool.open(work.resolve("pool"), 8L << 30);
            Path floorDir = Files.createDirectories(pool.root(id()).getParent().resolveSibling("bench-floor"));
            new VolumeBench(pool, floorDir).run(runs);
        } finally {
            if (pool != null) {
                pool.close();
            }
            try (Stream<Path> walk = Files.walk(work)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private void run(int runs) throws Exception {
        String big = volume(1024, 10_000);
        String small = volume(10, 100);
        for (var size : List.of(new Object[] {"1 GiB in 10k files", big}, new Object[] {"10 MiB in 100 files", small})) {
            String label = (String) size[0];
            String source = (String) size[1];
            row("fork of " + label, time(runs, () -> pool.fork(source, id())),
                    "snapshot ioctl, writable", time(runs, () -> floor(source, false)));
            row("snapshot of " + label, time(runs, () -> pool.snapshot(source, id())),
                    "snapshot ioctl, read-only", time(runs, () -> floor(source, true)));
        }
        String snapshot = id();
        pool.snapshot(big, snapshot);
        Path current = floorDir.resolve("current");
        Btrfs.snapshot(pool.snapshotRoot(snapshot), floorDir, "current", false);
        row("restore of 1 GiB in 10k files after 1 MiB of changes", time(runs, () -> {
            change(pool.root(big));
            pool.restore(big, snapshot);
        }), "1 MiB of changes, then the same writable snapshot, exchange and delete by hand", time(runs, () -> {
            change(current);
            Btrfs.snapshot(pool.snapshotRoot(snapshot), floorDir, "next", false);
            Btrfs.exchange(floorDir, "next", "current");
            Btrfs.destroySubvolume(floorDir, "next");
        }));

        System.out.println("| operation | ours median | ours p99 | floor | floor median | floor p99 | ours / floor |");
        System.out.println("|---|---:|---:|---|---:|---:|---:|");
        rows.forEach(System.out::println);
        System.out.println();
        System.out.println("runs: " + runs + "; cpus: " + Runtime.getRuntime().availableProcessors()
                + "; the pool: btrfs on a direct-I/O loop device over a sparse image in " + System.getProperty("bench.dir", "/var/tmp")
                + "; volumes written and flushed before timing (idle sources); each fork and snapshot is kept until the end.");
    }

    /** The kernel's part alone: one snapshot ioctl of the volume, no flush, no limit, no rename. */
    private void floor(String volume, boolean readOnly) throws IOException {
        Btrfs.snapshot(pool.root(volume), floorDir, "f" + floorCount++, readOnly);
    }

    /** A limited volume of {@code mib} MiB in {@code files} files across 100 directories, flushed. */
    private String volume(int mib, int files) throws IOException {
        String id = id();
        pool.create(id, 1000, 1000);
        pool.limit(id, OptionalLong.of(4L << 30));
        byte[] content = new byte[(int) (mib * MIB / files)];
        for (int i = 0; i < files; i++) {
            random.nextBytes(content);
            Path file = pool.root(id).resolve("d" + i % 100).resolve("f" + i);
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        }
        Btrfs.syncfs(pool.root(id));
        return id;
    }

    /** 1 MiB written over 16 files of the volume at {@code root}. */
    private void change(Path root) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        for (int i = 0; i < 16; i++) {
            random.nextBytes(chunk);
            try (OutputStream out = Files.newOutputStream(root.resolve("d" + i).resolve("changed"))) {
                out.write(chunk);
            }
        }
    }

    private static String id() {
        return UUID.randomUUID().toString();
    }

    interface Action {
        void run() throws Exception;
    }

    private static long[] time(int runs, Action action) throws Exception {
        action.run(); // warm-up: JIT, the first snapshot of a subvolume
        long[] nanos = new long[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            action.run();
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        return nanos;
    }

    private void row(String operation, long[] ours, String floorName, long[] floor) {
        rows.add("| " + operation + " | " + ms(median(ours)) + " | " + ms(p99(ours)) + " | " + floorName + " | "
                + ms(median(floor)) + " | " + ms(p99(floor)) + " | "
                + String.format(Locale.ROOT, "%.2f×", (double) median(ours) / median(floor)) + " |");
        System.err.println("done: " + operation);
    }

    private static long median(long[] sorted) {
        return sorted[sorted.length / 2];
    }

    private static long p99(long[] sorted) {
        return sorted[(int) Math.ceil(sorted.length * 0.99) - 1];
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
}
