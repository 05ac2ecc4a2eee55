package ai.sandbox0.node.layer;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** How a layer blob is compressed, told by its first bytes rather than by a media type someone wrote. */
public enum LayerCompression {
    NONE, GZIP, ZSTD;

    /** Wraps {@code blob} in the matching decompressor. The result yields the uncompressed tar. */
    public static InputStream decompress(InputStream blob) throws IOException {
        var in = blob.markSupported() ? blob : new BufferedInputStream(blob, 1 << 16);
        return switch (detect(in)) {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, 1 << 16);
            case ZSTD -> new ZstdInputStream(in);
        };
    }

    /** Peeks at the magic number; the stream must support mark. */
    public static LayerCompression detect(InputStream in) throws IOException {
        in.mark(8);
        byte[] magic = in.readNBytes(6);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        if (magic.length >= 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
            return ZSTD;
        }
        if (magic.length >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') {
            throw new IOException("layer is bzip2-compressed; only tar, gzip and zstd layers are supported");
        }
        if (magic.length >= 6 && (magic[0] & 0xff) == 0xfd && magic[1] == '7' && magic[2] == 'z') {
            throw new IOException("layer is xz-compressed; only tar, gzip and zstd layers are supported");
        }
        return NONE;
    }
}
