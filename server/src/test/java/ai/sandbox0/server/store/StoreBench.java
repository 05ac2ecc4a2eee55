package ai.sandbox0.server.store;

import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.template.ContainerSpec;
import ai.sandbox0.api.template.ResourceQuota;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.node.Digest;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import ai.sandbox0.server.sandbox.SandboxRecord.Deadlines;
import ai.sandbox0.server.sandbox.SandboxRecord.Owner;
import ai.sandbox0.server.sandbox.SandboxRecord.TemplateRef;
import ai.sandbox0.server.sandbox.SandboxRecord;
import ai.sandbox0.server.sandbox.SandboxStore;
import ai.sandbox0.server.template.TemplateScope;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Jdbi;
import org.sqlite.SQLiteConfig.SynchronousMode;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The store's commit-latency benchmark (run by bench/store): a lifecycle compare-and-set through the real
 * {@link SandboxStore#update} on the real schema (migrated by {@link Database#openSqlite}), with the store's
 * own connection settings and synchronous = OFF, NORMAL and FULL in WAL mode, next to the floor measured in
 * the same run: a 4 KiB write + fdatasync / fsync of a file in the same directory. One writer (median, p99)
 * and {@code bench.writers} virtual-thread writers on their own rows (commits per second). Single-writer
 * runs are interleaved in rounds so drift on a shared disk hits every mode alike. Prints a Markdown table.
 */
public final class StoreBench {

    private static final int COMMITS = Integer.getInteger("bench.commits", 2000);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 4);
    private static final int WARMUP = 200;
    private static final int WRITERS = Integer.getInteger("bench.writers", 8);
    private static final Duration WINDOW = Duration.ofSeconds(Integer.getInteger("bench.seconds", 5));
    private static final Path DIR = Path.of(System.getProperty("bench.dir", "/var/tmp"));
    private static final List<SynchronousMode> MODES = List.of(SynchronousMode.OFF, SynchronousMode.NORMAL,
            SynchronousMode.FULL);

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory(DIR, "s0store-bench-");
        var stores = new EnumMap<SynchronousMode, Bench>(SynchronousMode.class);
        try {
            String shipped;
            try (Database database = Database.openSqlite(dir.resolve("shipped.db"))) {
                shipped = database.jdbi().withHandle(h -> settings(h.getConnection()));
            }
            for (SynchronousMode mode : MODES) {
                stores.put(mode, new Bench(dir.resolve(mode.name().toLowerCase() + ".db"), mode));
            }
            String asShipped = stores.get(SynchronousMode.FULL).settings();
            if (!asShipped.equals(shipped)) {
                throw new IllegalStateException("the bench's connection settings (" + asShipped
                        + ") drifted from Database.openSqlite (" + shipped + "): update StoreBench.open");
            }
            for (Bench b : stores.values()) {
                if (!b.settings().contains("synchronous=" + b.mode.name())) {
                    throw new IllegalStateException("store opened with " + b.settings() + ", wanted " + b.mode);
                }
            }
            String version = stores.get(SynchronousMode.NORMAL).jdbi.withHandle(
                    h -> h.createQuery("SELECT sqlite_version()").mapTo(String.class).one());

            // One writer: rounds of COMMITS / ROUNDS, every mode and the floor in each round.
            var fsync = new Fsync(dir.resolve("fsync.bin"));
            var single = new EnumMap<SynchronousMode, List<Double>>(SynchronousMode.class);
            var fdatasyncMs = new ArrayList<Double>();
            var fsyncMs = new ArrayList<Double>();
            for (Bench b : stores.values()) {
                b.commits(WARMUP);
                single.put(b.mode, new ArrayList<>());
            }
            fsync.run(WARMUP, false);
            int perRound = (COMMITS + ROUNDS - 1) / ROUNDS;
            for (int r = 0; r < ROUNDS; r++) {
                fdatasyncMs.addAll(fsync.run(perRound, false));
                fsyncMs.addAll(fsync.run(perRound, true));
                for (Bench b : stores.values()) {
                    single.get(b.mode).addAll(b.commits(perRound));
                }
            }
            fsync.close();

            // WRITERS concurrent writers, one mode at a time.
            var concurrent = new EnumMap<SynchronousMode, Throughput>(SynchronousMode.class);
            for (Bench b : stores.values()) {
                b.concurrent(Duration.ofMillis(500)); // warm-up: fills the pool
                concurrent.put(b.mode, b.concurrent(WINDOW));
            }

            FileStore fs = Files.getFileStore(dir);
            System.out.printf("%nStore commit benchmark: SQLite %s (sqlite-jdbc), WAL, %s on %s (%s); %d cores. "
                            + "Database.openSqlite as shipped: %s.%n", version, fs.type(), fs.name(), dir,
                    Runtime.getRuntime().availableProcessors(), shipped);
            System.out.printf("One writer: %d committed SandboxStore.update CAS per mode (%d interleaved rounds). "
                            + "%d writers: virtual threads, one sandbox row each, %d s per mode.%n%n",
                    perRound * ROUNDS, ROUNDS, WRITERS, WINDOW.toSeconds());
            System.out.printf("| measure | median | p99 | %d writers: commits/s | %d writers: median / p99 |%n",
                    WRITERS, WRITERS);
            System.out.println("|---|---|---|---|---|");
            floorRow("floor: write 4 KiB + fdatasync, same dir", fdatasyncMs);
            floorRow("floor: write 4 KiB + fsync, same dir", fsyncMs);
            for (SynchronousMode mode : MODES) {
                String name = switch (mode) {
                    case OFF -> "floor: UPDATE, synchronous=OFF (no fsync)";
                    case NORMAL -> "UPDATE, synchronous=NORMAL (the earlier default)";
                    default -> "UPDATE, synchronous=" + mode + (mode == SynchronousMode.FULL ? " (shipped)" : "");
                };
                Throughput t = concurrent.get(mode);
                System.out.printf("| %s | %.3f ms | %.3f ms | %.0f | %.3f / %.3f ms |%n", name, median(single.get(mode)),
                        p99(single.get(mode)), t.perSecond(), median(t.latencies), p99(t.latencies));
            }
            List<Double> normal = single.get(SynchronousMode.NORMAL);
            List<Double> full = single.get(SynchronousMode.FULL);
            double p50 = median(full) - median(normal);
            System.out.printf("%nFULL − NORMAL, one writer: %+.3f ms p50, %+.3f ms p99 per commit "
                            + "(a cold claim commits 3 times: %+.2f ms at p50). %d writers: %.0f%% of NORMAL's commits/s.%n",
                    p50, p99(full) - p99(normal), 3 * p50, WRITERS,
                    100 * concurrent.get(SynchronousMode.FULL).perSecond() / concurrent.get(SynchronousMode.NORMAL).perSecond());
        } finally {
            for (Bench b : stores.values()) {
                b.close();
            }
            deleteTree(dir);
        }
    }

    /**
     * The connection settings of {@link Database#openSqlite}, with {@code synchronous} as given. Keep in step
     * with it: main() fails when the pragmas of the two differ at FULL.
     */
    static HikariDataSource open(Path file, SynchronousMode synchronous) {
        var sqlite = new SQLiteConfig();
        sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
        sqlite.setSynchronous(synchronous);
        sqlite.setBusyTimeout(10_000);
        sqlite.enforceForeignKeys(true);
        sqlite.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        var source = new SQLiteDataSource(sqlite);
        source.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
        var pool = new HikariConfig();
        pool.setDataSource(source);
        pool.setPoolName("store-bench-" + synchronous.name().toLowerCase());
        pool.setMaximumPoolSize(8);
        pool.setMinimumIdle(1);
        pool.setConnectionTimeout(10_000);
        return new HikariDataSource(pool);
    }

    private static String settings(java.sql.Connection c) {
        try (var s = c.createStatement()) {
            var out = new StringBuilder();
            for (String pragma : List.of("journal_mode", "synchronous", "busy_timeout", "foreign_keys",
                    "wal_autocheckpoint", "page_size")) {
                try (var rs = s.executeQuery("PRAGMA " + pragma)) {
                    rs.next();
                    String v = rs.getString(1);
                    if (pragma.equals("synchronous")) {
                        v = List.of("OFF", "NORMAL", "FULL", "EXTRA").get(Integer.parseInt(v));
                    }
                    out.append(out.isEmpty() ? "" : ", ").append(pragma).append('=').append(v);
                }
            }
            return out.toString();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One store file, migrated by Database.openSqlite, then opened with {@code mode} and seeded with sandboxes. */
    private static final class Bench implements AutoCloseable {
        final SynchronousMode mode;
        final HikariDataSource pool;
        final Jdbi jdbi;
        final SandboxStore store;
        /** Row 0 is the single writer's; rows 1..WRITERS the concurrent writers'. */
        final SandboxRecord[] rows = new SandboxRecord[WRITERS + 1];

        Bench(Path file, SynchronousMode mode) {
            this.mode = mode;
            Database.openSqlite(file).close(); // the real schema
            this.pool = open(file, mode);
            this.jdbi = Jdbi.create(pool);
            this.store = new SandboxStore(jdbi);
            Instant now = Instant.now();
            var spec = new SandboxTemplateSpec(null, null, null, new ContainerSpec("default", null, null,
                    new ResourceQuota("500m", "2Gi", null), null), null, null, null, null, null, null);
            var chain = LayerChain.of(layer("image-1"), layer("image-2"), layer("checkpoint-1"));
            var config = new SandboxConfig(Map.of(), 60, 600, null, null, null, List.of());
            // Other sandboxes around, so the table and its indexes span a few pages like a live store.
            for (int i = 0; i < 500; i++) {
                store.insert(record("sb-other-" + i, spec, config, chain, now));
            }
            for (int i = 0; i < rows.length; i++) {
                rows[i] = record("sb-bench-" + i, spec, config, chain, now)
                        .withRuntime("sb-bench-" + i + "-g1", 1, now).withStatus(SandboxLifecycleStatus.RUNNING, null, now);
                store.insert(rows[i]);
            }
        }

        private static SandboxRecord record(String id, SandboxTemplateSpec spec, SandboxConfig config,
                LayerChain chain, Instant now) {
            return SandboxRecord.claimed(id, new Owner("team-bench", null),
                    new TemplateRef("default", TemplateScope.PUBLIC, spec), config, chain,
                    new Deadlines(now.plusSeconds(60), now.plusSeconds(600)), now);
        }

        String settings() {
            return jdbi.withHandle(h -> StoreBench.settings(h.getConnection()));
        }

        /** One committed lifecycle CAS on row {@code i}: running → pausing or back. */
        private void flip(int i) {
            SandboxRecord current = rows[i];
            var next = current.withStatus(current.status() == SandboxLifecycleStatus.RUNNING
                    ? SandboxLifecycleStatus.PAUSING : SandboxLifecycleStatus.RUNNING, null, Instant.now());
            if (!store.update(next, current.status())) {
                throw new IllegalStateException("CAS on " + current.id() + " lost: the bench is its only writer");
            }
            rows[i] = next;
        }

        List<Double> commits(int n) {
            var ms = new ArrayList<Double>(n);
            for (int k = 0; k < n; k++) {
                long t0 = System.nanoTime();
                flip(0);
                ms.add((System.nanoTime() - t0) / 1e6);
            }
            return ms;
        }

        Throughput concurrent(Duration window) throws Exception {
            var latencies = new ConcurrentLinkedQueue<Double>();
            var count = new AtomicLong();
            long start = System.nanoTime();
            long end = start + window.toNanos();
            try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
                var futures = new ArrayList<Future<?>>();
                for (int w = 1; w <= WRITERS; w++) {
                    int row = w;
                    futures.add(executor.submit(() -> {
                        while (System.nanoTime() < end) {
                            long t0 = System.nanoTime();
                            flip(row);
                            latencies.add((System.nanoTime() - t0) / 1e6);
                            count.incrementAndGet();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Throughput(count.get(), seconds, new ArrayList<>(latencies));
        }

        @Override
        public void close() {
            pool.close();
        }
    }

    private record Throughput(long commits, double seconds, List<Double> latencies) {
        double perSecond() {
            return commits / seconds;
        }
    }

    /** The raw floor: overwrite 4 KiB of a preallocated file in the store's directory and sync it. */
    private static final class Fsync implements AutoCloseable {
        private static final int BLOCK = 4096;
        private static final int BLOCKS = 256;
        private final FileChannel channel;
        private final ByteBuffer block = ByteBuffer.allocateDirect(BLOCK);
        private long n;

        Fsync(Path file) throws IOException {
            channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            for (int i = 0; i < BLOCKS; i++) {
                channel.write(block.clear(), (long) i * BLOCK);
            }
            channel.force(true);
        }

        List<Double> run(int count, boolean metadata) throws IOException {
            var ms = new ArrayList<Double>(count);
            for (int k = 0; k < count; k++) {
                block.clear().putLong(0, n);
                long t0 = System.nanoTime();
                channel.write(block, (n++ % BLOCKS) * BLOCK);
                channel.force(metadata);
                ms.add((System.nanoTime() - t0) / 1e6);
            }
            return ms;
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    private static LayerDescriptor layer(String name) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return new LayerDescriptor(Digest.parse("sha256:" + HexFormat.of().formatHex(d)), null, 1 << 20,
                    LayerDescriptor.TAR_ZSTD);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void floorRow(String name, List<Double> ms) {
        System.out.printf("| %s | %.3f ms | %.3f ms | ≤ %.0f (1 / median: SQLite syncs each commit alone) | — |%n",
                name, median(ms), p99(ms), 1000 / median(ms));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static double median(List<Double> xs) {
        var s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static double p99(List<Double> xs) {
        var s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(0.99 * s.size()) - 1));
    }

    private StoreBench() {
    }
}
