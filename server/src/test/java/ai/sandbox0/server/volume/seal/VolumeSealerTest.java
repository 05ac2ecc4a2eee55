package ai.sandbox0.server.volume.seal;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.node.blob.BlobCipher;
import ai.sandbox0.node.blob.LocalBlobStore;
import ai.sandbox0.node.volume.VolumeFiles;
import ai.sandbox0.node.volume.VolumePool;
import ai.sandbox0.server.store.Database;
import ai.sandbox0.server.store.TestDatabases;
import ai.sandbox0.server.volume.seal.VolumeHeads.Head;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Sealing real btrfs volumes into an encrypted object store, and collecting what nothing names. */
class VolumeSealerTest {

    private Path dir;
    private Database database;
    private VolumePool pool;
    private Path objectsDir;
    private VolumeObjects objects;
    private VolumeHeads heads;
    private VolumeSealer sealer;
    private VolumeObjectCollector collector;

    @BeforeEach
    void open() throws IOException {
        dir = Files.createTempDirectory("s0-seal-test");
        database = TestDatabases.open(TestDatabases.Kind.SQLITE, dir);
        pool = VolumePool.open(dir.resolve("volumes"), 2L << 30);
        objectsDir = dir.resolve("objects");
        objects = new VolumeObjects(new LocalBlobStore(objectsDir, BlobCipher.loadOrCreate(dir.resolve("key.json"))));
        heads = new VolumeHeads(database.jdbi());
        sealer = new VolumeSealer(pool, objects, heads, Clock.systemUTC());
        collector = new VolumeObjectCollector(objects, heads, Duration.ZERO, Clock.systemUTC());
    }

    @AfterEach
    void close() throws Exception {
        pool.close();
        database.close();
        new ProcessBuilder("rm", "-rf", "--one-file-system", dir.toString()).start().waitFor();
    }

    @Test
    void aSealStoresOnlyCiphertextAndMovesTheHeadOnlyWhenSomethingChanged() throws IOException {
        String vol = newVolume();
        write(vol, "/notes/secret.txt", "the-plaintext-marker ".repeat(1000));
        write(vol, "/big.bin", random(9 << 20, 1));

        Head first = sealer.seal(vol);

        assertThat(first.seq()).isEqualTo(1);
        VolumeManifest manifest = objects.manifest(first.manifest());
        assertThat(manifest.entries()).extracting(VolumeManifest.Entry::path)
                .containsExactly("/", "/big.bin", "/notes", "/notes/secret.txt");
        assertThat(manifest.entries().get(1).chunks()).as("9 MiB in 4 MiB chunks").hasSize(3);
        assertThat(storedObjects()).hasSize(3 + 1 + 1).allSatisfy(object ->
                assertThat(new String(Files.readAllBytes(object), StandardCharsets.ISO_8859_1))
                        .startsWith("S0BLOB").doesNotContain("the-plaintext-marker").doesNotContain("secret.txt"));

        assertThat(sealer.seal(vol)).as("nothing changed").isEqualTo(first);

        write(vol, "/notes/secret.txt", "changed");
        Head second = sealer.seal(vol);
        assertThat(second.seq()).isEqualTo(2);
        assertThat(storedObjects()).as("one new chunk and one new manifest: the big file was not read again")
                .hasSize(5 + 2);
    }

    @Test
    void aForksFirstSealReusesItsSourcesChunks() throws IOException {
        String source = newVolume();
        write(source, "/data.bin", random(5 << 20, 2));
        Head sourceHead = sealer.seal(source);
        int before = storedObjects().size();

        String fork = UUID.randomUUID().toString();
        pool.fork(source, fork);
        Head forkHead = sealer.sealCopy(fork, Optional.of(sourceHead.manifest()));

        assertThat(storedObjects()).as("only the fork's manifest is new").hasSize(before + 1);
        assertThat(objects.manifest(forkHead.manifest()).chunks().toList())
                .isEqualTo(objects.manifest(sourceHead.manifest()).chunks().toList());
    }

    @Test
    void collectionKeepsWhatAHeadOrASnapshotNamesInEveryOrderOfDeletion() throws Exception {
        for (List<String> order : List.of(List.of("snapshot", "fork", "source"), List.of("snapshot", "source", "fork"),
                List.of("fork", "snapshot", "source"), List.of("fork", "source", "snapshot"),
                List.of("source", "snapshot", "fork"), List.of("source", "fork", "snapshot"))) {
            String source = newVolume();
            write(source, "/shared.bin", random(4 << 20, 3));
            write(source, "/a.txt", "state one");
            String snapshot = UUID.randomUUID().toString();
            java.time.Instant taken = java.time.Instant.now();
            pool.snapshot(source, snapshot);
            database.jdbi().useHandle(h -> h.execute("INSERT INTO volume_snapshots (id, volume_id, team_id, name, state,"
                    + " created_at) VALUES (?, ?, 't', 's', 'ready', 0)", snapshot, source));
            String snapshotManifest = sealer.sealSnapshot(source, snapshot, taken);
            write(source, "/a.txt", "state two");
            sealer.seal(source);
            String fork = UUID.randomUUID().toString();
            pool.fork(source, fork);
            sealer.sealCopy(fork, heads.head(source).map(Head::manifest));
            write(fork, "/only-fork.txt", "fork data");
            sealer.seal(fork);

            assertThat(collector.collect().deleted()).as("only superseded manifests go").isGreaterThanOrEqualTo(0);
            assertEverythingReadable(snapshotManifest, heads.head(source).orElseThrow().manifest(),
                    heads.head(fork).orElseThrow().manifest());

            for (String gone : order) {
                switch (gone) {
                    case "snapshot" -> database.jdbi().useHandle(h -> h.execute("DELETE FROM volume_snapshots WHERE id = ?",
                            snapshot));
                    case "fork" -> sealer.forget(fork);
                    default -> sealer.forget(source);
                }
                collector.collect();
                var remaining = new java.util.ArrayList<String>();
                if (!order.subList(0, order.indexOf(gone) + 1).contains("snapshot")) {
                    remaining.add(snapshotManifest);
                }
                heads.head(source).ifPresent(h -> remaining.add(h.manifest()));
                heads.head(fork).ifPresent(h -> remaining.add(h.manifest()));
                assertEverythingReadable(remaining.toArray(String[]::new));
            }
            assertThat(storedObjects()).as("nothing left once nothing names anything (order %s)", order).isEmpty();
            pool.deleteVolume(fork);
            pool.deleteVolume(source);
            pool.deleteSnapshot(snapshot);
        }
    }

    @Test
    void aVolumeTheNodeLostIsRebuiltFromItsSealedStateWithOwnersModesAndLinks() throws Exception {
        String vol = newVolume();
        write(vol, "/app/run.sh", "#!/bin/sh\necho hi\n");
        write(vol, "/app/data/blob.bin", random(6 << 20, 4));
        Path root = pool.root(vol);
        Files.setAttribute(root.resolve("app/run.sh"), "unix:mode", 04755);
        Files.setAttribute(root.resolve("app/data"), "unix:uid", 1234);
        Files.createSymbolicLink(root.resolve("app/latest"), Path.of("data/blob.bin"));
        Files.createSymbolicLink(root.resolve("escape"), Path.of("/etc/shadow"));
        Head head = sealer.seal(vol);
        String expected = describe(root);

        pool.deleteVolume(vol);
        var materializer = new VolumeMaterializer(pool, objects, dir.resolve("markers"));
        materializer.volume(vol, head.manifest());

        assertThat(describe(pool.root(vol))).isEqualTo(expected);
        assertThat(Files.readString(pool.root(vol).resolve("app/run.sh"))).isEqualTo("#!/bin/sh\necho hi\n");
        assertThat(Files.mismatch(pool.root(vol).resolve("app/data/blob.bin"), root.resolve("app/data/blob.bin")))
                .isEqualTo(-1L);
        assertThat(Files.readSymbolicLink(pool.root(vol).resolve("escape"))).isEqualTo(Path.of("/etc/shadow"));
        assertThat(sealer.seal(vol)).as("the rebuilt tree is the sealed one").isEqualTo(head);

        // A crash in the middle of a rebuild: the next start undoes it and builds again.
        pool.deleteVolume(vol);
        Files.writeString(dir.resolve("markers").resolve(vol), head.manifest());
        pool.create(vol, 0, 0);
        materializer.undoInterrupted();
        assertThat(pool.exists(vol)).isFalse();
        materializer.volume(vol, head.manifest());
        assertThat(describe(pool.root(vol))).isEqualTo(expected);
    }

    /** Every path under {@code root} with its type, owner, mode, size and time, as stat shows them. */
    private static String describe(Path root) throws Exception {
        var p = new ProcessBuilder("sh", "-c", "cd '" + root + "' && find . -printf '%p %y %U:%G %m %s %T@ %l\\n' | sort")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    @Test
    void aHeadMovesOnlyFromTheSeqItWasReadAt() {
        var first = new Head("v", 1, "sha256:" + "a".repeat(64), java.time.Instant.EPOCH);
        assertThat(heads.advance("v", 0, first)).isTrue();
        assertThat(heads.advance("v", 0, first)).as("a second first seal").isFalse();
        var second = new Head("v", 2, "sha256:" + "b".repeat(64), java.time.Instant.EPOCH);
        assertThat(heads.advance("v", 5, second)).as("stale").isFalse();
        assertThat(heads.advance("v", 1, second)).isTrue();
        assertThat(heads.head("v")).contains(second);
    }

    private void assertEverythingReadable(String... manifests) throws IOException {
        for (String digest : manifests) {
            VolumeManifest manifest = objects.manifest(digest);
            for (String chunk : manifest.chunks().toList()) {
                try (var in = objects.chunk(chunk)) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
            }
        }
    }

    private String newVolume() throws IOException {
        String id = UUID.randomUUID().toString();
        pool.create(id, 1000, 1000);
        return id;
    }

    private void write(String volume, String path, String content) throws IOException {
        write(volume, path, content.getBytes(StandardCharsets.UTF_8));
    }

    private void write(String volume, String path, byte[] content) throws IOException {
        VolumeFiles files = pool.files(volume);
        files.write(path, new ByteArrayInputStream(content), Long.MAX_VALUE);
    }

    private List<Path> storedObjects() throws IOException {
        Path blobs = objectsDir.resolve("sha256");
        if (!Files.isDirectory(blobs)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(blobs)) {
            return files.toList();
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
