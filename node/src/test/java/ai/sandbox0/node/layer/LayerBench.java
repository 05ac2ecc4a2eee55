package ai.sandbox0.node.layer;

import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.blob.LocalBlobStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The storage half of {@code bench/node} (run it through {@code bench/layers}): checkpoint (export
 * an upper dir) of 10 MB and 100 MB of changes, and start-from a 3-layer chain (extract into a
 * cold cache + mount, and mount from a warm cache), each next to a floor of the host's own tools
 * measured in the same run. Prints a Markdown table.
 */
public final class LayerBench {

    private final Path work;
    private final Random random = new Random(42);
    private final List<String> rows = new ArrayList<>();

    private LayerBench(Path work) {
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        HostPrerequisites.requireRootAndOverlay();
        int runs = Integer.getInteger("bench.runs", 15);
        Path work = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "/var/tmp")), "layer-bench");
        try {
            new LayerBench(work).run(runs);
        } finally {
            LayerUnpacker.deleteTree(work);
        }
    }

    private void run(int runs) throws Exception {
        var blobs = new LocalBlobStore(work.resolve("blobs"));
        var exporter = new LayerExporter(blobs);
        for (int mb : new int[] {10, 100}) {
            Path upper = tree(work.resolve("upper-" + mb), mb, mb == 10 ? 160 : 400);
            Path out = work.resolve("floor.tar.zst");
            row("checkpoint " + mb + " MB of changes (export upper → tar+zstd blob)",
                    time(runs, () -> blobs.delete(exporter.export(upper).digest())),
                    "`tar -c \\| zstd -3 -T0` to a file, `sync -f`",
                    time(runs, () -> sh("tar -C '" + upper + "' -cf - . | zstd -q -3 -T0 -f -o '" + out + "' && sync -f '" + out + "'")));
        }

        // A 3-layer chain: a 60 MB base, then two checkpoints of 20 MB with deletions.
        Path base = tree(work.resolve("l1"), 60, 600);
        Path second = tree(work.resolve("l2"), 20, 200);
        Files.delete(second.resolve("f0"));
        Posix.mknodChar(second.resolve("f0"), 0, 0, 0); // deletes the base's f0
        Path third = tree(work.resolve("l3"), 20, 200);
        Files.delete(third.resolve("f1"));
        Posix.mknodChar(third.resolve("f1"), 0, 0, 0);
        var chain = LayerChain.of(exporter.export(base), exporter.export(second), exporter.export(third));
        var blobFiles = chain.layers().stream().map(l -> blobs.root().resolve("sha256").resolve(l.digest().hex())).toList();

        int[] n = {0};
        row("start from a 3-layer chain, cold (extract 100 MB + mount + umount)",
                time(runs, () -> {
                    Path cacheRoot = work.resolve("cache-" + n[0]++);
                    try (var cache = LayerCache.open(cacheRoot, blobs, new LayerUnpacker());
                            var lease = cache.acquire(chain)) {
                        mountAndUnmount(lease.lowerdirOption(), cacheRoot);
                    }
                    LayerUnpacker.deleteTree(cacheRoot);
                }),
                "`zstd -d \\| tar -x` each layer, `sync -f`, mount + umount",
                time(runs, () -> {
                    Path root = work.resolve("floor-" + n[0]++);
                    var dirs = new ArrayList<String>();
                    for (int i = 0; i < blobFiles.size(); i++) {
                        Path d = Files.createDirectories(root.resolve("l" + i));
                        sh("zstd -q -d -c '" + blobFiles.get(i) + "' | tar -C '" + d + "' -xf - && sync -f '" + d + "'");
                        dirs.addFirst(d.toString());
                    }
                    mountAndUnmount(String.join(":", dirs), root);
                    LayerUnpacker.deleteTree(root);
                }));
        try (var cache = LayerCache.open(work.resolve("warm"), blobs, new LayerUnpacker())) {
            cache.acquire(chain).close();
            String lower;
            try (var lease = cache.acquire(chain)) {
                lower = lease.lowerdirOption();
            }
            Path plain = work.resolve("plain-mount");
            row("start from a 3-layer chain, warm cache (acquire + mount + umount)",
                    time(runs * 4, () -> {
                        try (var lease = cache.acquire(chain)) {
                            mountAndUnmount(lease.lowerdirOption(), work.resolve("warm-run"));
                        }
                    }),
                    "mount + umount of the same lower dirs",
                    time(runs * 4, () -> mountAndUnmount(lower, plain)));
            Path merged = work.resolve("merged-copy-src");
            row("(reference) copy-based start: `cp -a` of the merged 100 MB tree", null, "`cp -a` of the merged tree",
                    time(runs, () -> {
                        Path mount = Files.createDirectories(merged.resolve("m"));
                        Path upper = Files.createDirectories(merged.resolve("u"));
                        Path workDir = Files.createDirectories(merged.resolve("w"));
                        sh("mount -t overlay overlay -o 'lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + workDir
                                + "' '" + mount + "' && cp -a '" + mount + "' '" + merged.resolve("copy") + "'; umount '" + mount + "'");
                        LayerUnpacker.deleteTree(merged);
                    }));
        }
        System.out.println("| operation | ours median | ours p99 | floor | floor median | floor p99 | ours / floor |");
        System.out.println("|---|---:|---:|---|---:|---:|---:|");
        rows.forEach(System.out::println);
        System.out.println();
        System.out.println("runs: " + runs + " (warm: " + runs * 4 + "); cpus: " + Runtime.getRuntime().availableProcessors()
                + "; work dir on " + sh("findmnt -n -o FSTYPE -T '" + work + "'").strip()
                + "; ours fsyncs every blob and syncfs-es every extracted layer, so the floors sync too.");
    }

    private void mountAndUnmount(String lowerdir, Path base) throws Exception {
        Path merged = Files.createDirectories(base.resolve("merged"));
        Path upper = Files.createDirectories(base.resolve("upper"));
        Path work = Files.createDirectories(base.resolve("work"));
        sh("mount -t overlay overlay -o 'lowerdir=" + lowerdir + ",upperdir=" + upper + ",workdir=" + work
                + ",redirect_dir=off,metacopy=off,index=off' '" + merged + "' && ls '" + merged + "' >/dev/null && umount '" + merged + "'");
        LayerUnpacker.deleteTree(upper);
        LayerUnpacker.deleteTree(work);
    }

    /** {@code mb} megabytes in {@code files} files across a few directories, half random and half text. */
    private Path tree(Path root, int mb, int files) throws IOException {
        long perFile = (long) mb * 1_000_000 / files;
        for (int i = 0; i < files; i++) {
            Path d = Files.createDirectories(root.resolve("d" + i % 16));
            Path f = i < 2 ? root.resolve("f" + i) : d.resolve("f" + i);
            try (OutputStream out = Files.newOutputStream(f)) {
                byte[] noise = new byte[(int) (perFile / 2)];
                random.nextBytes(noise);
                out.write(noise);
                byte[] text = ("line " + i + " of some source code that compresses well\n").getBytes(StandardCharsets.UTF_8);
                for (long w = 0; w < perFile - noise.length; w += text.length) {
                    out.write(text, 0, (int) Math.min(text.length, perFile - noise.length - w));
                }
            }
        }
        return root;
    }

    interface Action {
        void run() throws Exception;
    }

    private static long[] time(int runs, Action action) throws Exception {
        action.run(); // warm-up: JIT, page cache
        long[] nanos = new long[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            action.run();
            nanos[i] = System.nanoTime() - start;
        }
        java.util.Arrays.sort(nanos);
        return nanos;
    }

    private void row(String operation, long[] ours, String floorName, long[] floor) {
        String oursMedian = ours == null ? "–" : ms(median(ours));
        String oursP99 = ours == null ? "–" : ms(p99(ours));
        String ratio = ours == null ? "–" : String.format(Locale.ROOT, "%.2f×", (double) median(ours) / median(floor));
        rows.add("| " + operation + " | " + oursMedian + " | " + oursP99 + " | " + floorName + " | " + ms(median(floor))
                + " | " + ms(p99(floor)) + " | " + ratio + " |");
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

    private static String sh(String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(script + ": " + out);
        }
        return out;
    }
}
