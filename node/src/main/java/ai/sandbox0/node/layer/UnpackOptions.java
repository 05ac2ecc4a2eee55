package ai.sandbox0.node.layer;

/**
 * Limits for one layer extraction.
 *
 * @param allowDevices whether character and block devices other than whiteouts may be created;
 *     off by default: a device node in an image is a way into the host's hardware
 * @param maxBytes cap on the sum of file sizes (a decompression bomb stops here)
 * @param maxEntries cap on the number of entries
 */
public record UnpackOptions(boolean allowDevices, long maxBytes, long maxEntries) {

    public static final UnpackOptions DEFAULT = new UnpackOptions(false, 64L << 30, 4_000_000);

    public UnpackOptions withDevices(boolean allow) {
        return new UnpackOptions(allow, maxBytes, maxEntries);
    }
}
