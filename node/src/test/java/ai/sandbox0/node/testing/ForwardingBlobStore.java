package ai.sandbox0.node.testing;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.BlobUpload;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;

/** A blob store that passes everything to another: tests override what they count, slow down or break. */
public abstract class ForwardingBlobStore implements BlobStore {

    protected final BlobStore delegate;

    protected ForwardingBlobStore(BlobStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public BlobUpload upload() throws IOException {
        return delegate.upload();
    }

    @Override
    public InputStream open(Digest digest) throws IOException {
        return delegate.open(digest);
    }

    @Override
    public boolean exists(Digest digest) throws IOException {
        return delegate.exists(digest);
    }

    @Override
    public long size(Digest digest) throws IOException {
        return delegate.size(digest);
    }

    @Override
    public boolean delete(Digest digest) throws IOException {
        return delegate.delete(digest);
    }

    @Override
    public Instant lastWritten(Digest digest) throws IOException {
        return delegate.lastWritten(digest);
    }

    @Override
    public List<Digest> list() throws IOException {
        return delegate.list();
    }
}
