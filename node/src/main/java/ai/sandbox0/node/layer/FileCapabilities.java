package ai.sandbox0.node.layer;

import ai.sandbox0.node.IdMap;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The {@code security.capability} xattr ({@code struct vfs_cap_data}, little-endian). Version 3 carries the
 * host uid of the root its capabilities are for: a file a sandbox's root gave capabilities to says the run's
 * host id. In a layer that must be the container's root again, which is what version 2 (no root id) means.
 */
final class FileCapabilities {

    static final String XATTR = "security.capability";
    private static final int REVISION_MASK = 0xFF000000;
    private static final int REVISION_2 = 0x02000000, REVISION_3 = 0x03000000;
    private static final int V2_SIZE = 20, V3_SIZE = 24;

    private FileCapabilities() {
    }

    /** The value with its root id shifted from {@code ids}' host ids to the container's (2 when root). */
    static byte[] toContainer(byte[] value, IdMap ids) {
        if (value.length != V3_SIZE) {
            return value;
        }
        ByteBuffer in = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        int magic = in.getInt(0);
        if ((magic & REVISION_MASK) != REVISION_3) {
            return value;
        }
        int rootId = ids.toContainer(in.getInt(V2_SIZE));
        if (rootId == 0) {
            byte[] v2 = Arrays.copyOf(value, V2_SIZE);
            ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (magic & ~REVISION_MASK) | REVISION_2);
            return v2;
        }
        byte[] v3 = value.clone();
        ByteBuffer.wrap(v3).order(ByteOrder.LITTLE_ENDIAN).putInt(V2_SIZE, rootId);
        return v3;
    }
}
