package ai.sandbox0.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.node.blob.Blob;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.BlobUpload;
import ai.sandbox0.node.image.NodeStorage;
import ai.sandbox0.node.layer.LayerExporter;
import ai.sandbox0.node.testing.ForwardingBlobStore;
import ai.sandbox0.node.testing.HostLeaks;
import ai.sandbox0.node.testing.TestNodes;
import ai.sandbox0.node.testing.TestRootfs;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint that fails (the blob store refuses the upload, or the disk fills while the layer is
 * written) loses nothing: the stopped run's changes stay on the host and the next checkpoint of the
 * same run saves them.
 */
class CheckpointFaultTest {

    private static final Resources SMALL = Resources.of("500m", "512Mi");

    /** When set, every upload fails this way. */
    private final AtomicReference<String> fault = new AtomicReference<>();

    @Test
    void aFailedCheckpointKeepsTheChangesForTheNextOne() throws Exception {
        NodeStorage shared = TestRootfs.storage();
        BlobStore flaky = new FlakyBlobs(shared.blobs());
        var storage = new NodeStorage(flaky, shared.layers(), new LayerExporter(flaky), shared.images(), shared.maxDepth());
        LayerChain image = TestRootfs.defaultImage().chain();
        NodeConfig config = TestNodes.config("tfault", "10.89.9.0/24");
        Node node = Node.open(config, storage, Set.of());
        try {
            Sandbox s = node.start("fault-1", image, SMALL, NetworkMode.BLOCK_ALL, Map.of());
            assertThat(node.exec(s.id(), List.of("sh", "-c", "echo precious > /root/work.txt && head -c 3M /dev/urandom > /tmp/blob"),
                    Duration.ofSeconds(30)).ok()).isTrue();

            fault.set("refused");
            assertThatThrownBy(() -> node.checkpoint(s.id(), "sb-fault")).isInstanceOf(IOException.class)
                    .hasMessageContaining("refused");
            fault.set("disk full");
            assertThatThrownBy(() -> node.checkpoint(s.id(), "sb-fault")).isInstanceOf(IOException.class)
                    .hasMessageContaining("No space left on device");
            assertThat(node.sandbox(s.id())).as("the run is stopped").isEmpty();

            fault.set(null);
            LayerChain saved = node.checkpoint(s.id(), "sb-fault");
            assertThat(saved.depth()).isEqualTo(image.depth() + 1);
            Sandbox next = node.start("fault-2", saved, SMALL, NetworkMode.BLOCK_ALL, Map.of());
            assertThat(node.exec(next.id(), List.of("sh", "-c", "cat /root/work.txt; wc -c < /tmp/blob"),
                    Duration.ofSeconds(30)).stdout().lines().toList()).containsExactly("precious", "3145728");
        } finally {
            node.shutdown();
            HostLeaks.assertNoneOf(config);
        }
    }

    /** The node's real blob store, with uploads that fail on demand: refused at once, or midway (ENOSPC). */
    private final class FlakyBlobs extends ForwardingBlobStore {

        FlakyBlobs(BlobStore real) {
            super(real);
        }

        @Override
        public BlobUpload upload() throws IOException {
            String f = fault.get();
            if ("refused".equals(f)) {
                throw new IOException("blob store refused the upload (injected)");
            }
            BlobUpload upload = delegate.upload();
            if (!"disk full".equals(f)) {
                return upload;
            }
            return new BlobUpload() {
                private long written;
                private final OutputStream stream = new FilterOutputStream(upload.stream()) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        written += len;
                        if (written > 256 * 1024) {
                            throw new IOException("No space left on device (injected)");
                        }
                        out.write(b, off, len);
                    }
                };

                @Override
                public OutputStream stream() {
                    return stream;
                }

                @Override
                public Blob commit() throws IOException {
                    return upload.commit();
                }

                @Override
                public Blob commit(Digest expected) throws IOException {
                    return upload.commit(expected);
                }

                @Override
                public void close() throws IOException {
                    upload.close();
                }
            };
        }
    }
}
