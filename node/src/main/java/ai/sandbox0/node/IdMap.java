package ai.sandbox0.node;

import java.util.List;
import java.util.Map;

/**
 * The ids of one sandbox run: container uid and gid {@code 0 .. size-1} are host ids
 * {@code hostBase .. hostBase+size-1}. Files on disk (image layers, checkpoint layers) keep container ids;
 * the run's upper dir holds host ids, shifted back when it becomes a layer.
 */
public record IdMap(long hostBase, long size) {

    /** Ids per sandbox: the 16-bit range every Linux distribution's users and groups fit in. */
    public static final long SIZE = 65536;
    /** What a host id outside the range becomes in a layer: the kernel's overflow id, "nobody". */
    public static final int OVERFLOW = 65534;
    /** uid_t is 32 bits and (uid_t) -1 means "unchanged" to the kernel: never hand that out. */
    static final long LAST_HOST_ID = 0xFFFF_FFFEL;

    public IdMap {
        if (hostBase <= 0 || size <= 0 || hostBase + size - 1 > LAST_HOST_ID) {
            throw new IllegalArgumentException("host ids " + hostBase + "+" + size + " are outside 1.." + LAST_HOST_ID);
        }
    }

    /** The range of a sandbox in address slot {@code slot}, the ranges starting at {@code firstHostId}. */
    public static IdMap ofSlot(long firstHostId, int slot) {
        return new IdMap(firstHostId + slot * SIZE, SIZE);
    }

    public long toHost(long containerId) {
        return hostBase + containerId;
    }

    /** The container id of a host id (as {@code stat} reports it, unsigned), {@link #OVERFLOW} outside the range. */
    public int toContainer(int hostId) {
        long id = Integer.toUnsignedLong(hostId) - hostBase;
        return id >= 0 && id < size ? (int) id : OVERFLOW;
    }

    /** One entry of the OCI config's {@code uidMappings} / {@code gidMappings}. */
    public List<Map<String, Long>> toOci() {
        return List.of(Map.of("containerID", 0L, "hostID", hostBase, "size", size));
    }

    /** A line of /proc/PID/uid_map and gid_map. */
    public String procMapLine() {
        return "0 " + hostBase + " " + size + "\n";
    }
}
