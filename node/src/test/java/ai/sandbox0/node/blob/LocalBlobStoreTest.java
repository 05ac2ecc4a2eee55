package ai.sandbox0.node.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.node.Digest;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBlobStoreTest {

    @TempDir
    Path dir;

    @Test
    void storesContentUnderItsSha256() throws Exception {
        var store = new LocalBlobStore(dir);
        byte[] content = "hello blob\n".getBytes(StandardCharsets.UTF_8);
        Blob blob = store.put(new ByteArrayInputStream(content));

        assertThat(blob.digest()).isEqualTo(Digest.of(content));
        assertThat(blob.size()).isEqualTo(content.length);
        assertThat(dir.resolve("sha256").resolve(blob.digest().hex())).exists();
        assertThat(store.exists(blob.digest())).isTrue();
        assertThat(store.size(blob.digest())).isEqualTo(content.length);
        try (var in = store.open(blob.digest())) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertThat(store.list()).containsExactly(blob.digest());
        assertThat(store.delete(blob.digest())).isTrue();
        assertThat(store.delete(blob.digest())).isFalse();
        assertThat(store.exists(blob.digest())).isFalse();
        assertThatThrownBy(() -> store.open(blob.digest())).isInstanceOf(NoSuchBlobException.class)
                .hasMessageContaining(blob.digest().toString());
    }

    @Test
    void putOfExistingContentIsANoOpAndConcurrentPutsAreSafe() throws Exception {
        var store = new LocalBlobStore(dir);
        byte[] content = new byte[3 << 20];
        new java.util.Random(7).nextBytes(content);
        Digest first = store.put(new ByteArrayInputStream(content)).digest();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var results = new ArrayList<Future<Blob>>();
            for (int i = 0; i < 16; i++) {
                results.add(pool.submit(() -> store.put(new ByteArrayInputStream(content))));
            }
            for (var r : results) {
                assertThat(r.get().digest()).isEqualTo(first);
            }
        }
        assertThat(store.list()).containsExactly(first);
        try (var in = store.open(first)) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        try (var tmp = Files.list(dir.resolve("tmp"))) {
            assertThat(tmp).isEmpty();
        }
    }

    @Test
    void contentThatDoesNotMatchTheExpectedDigestIsNotStored() throws Exception {
        var store = new LocalBlobStore(dir);
        Digest promised = Digest.of("something else".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> store.put(new ByteArrayInputStream("actual".getBytes(StandardCharsets.UTF_8)), promised))
                .isInstanceOf(DigestMismatchException.class).hasMessageContaining(promised.toString());
        assertThat(store.list()).isEmpty();
        try (var tmp = Files.list(dir.resolve("tmp"))) {
            assertThat(tmp).isEmpty();
        }
    }

    @Test
    void anUploadAbandonedWithoutCommitLeavesNothing() throws Exception {
        var store = new LocalBlobStore(dir);
        try (var upload = store.upload()) {
            upload.stream().write(new byte[1000]);
        }
        assertThat(store.list()).isEmpty();
        try (var tmp = Files.list(dir.resolve("tmp"))) {
            assertThat(tmp).isEmpty();
        }
    }

    @Test
    void uploadsOfACrashedWriterAreRemovedWhenTheStoreOpens() throws Exception {
        new LocalBlobStore(dir);
        Path dead = Files.writeString(dir.resolve("tmp/999999999-partial"), "half a blob");
        Path alive = Files.writeString(dir.resolve("tmp/" + ProcessHandle.current().pid() + "-mine"), "in progress");
        new LocalBlobStore(dir);
        assertThat(dead).doesNotExist();
        assertThat(alive).exists();
    }

    @Test
    void digestsParseAndPrintInOciForm() {
        Digest d = Digest.parse("sha256:" + "ab".repeat(32));
        assertThat(d.toString()).isEqualTo("sha256:" + "ab".repeat(32));
        assertThatThrownBy(() -> Digest.parse("sha512:00")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Digest.parse("sha256:../../etc")).isInstanceOf(IllegalArgumentException.class);
    }
}
