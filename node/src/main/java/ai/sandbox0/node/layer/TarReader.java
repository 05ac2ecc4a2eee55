package ai.sandbox0.node.layer;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads tar streams as written by GNU tar, Go's archive/tar (Docker, containerd, registries) and
 * {@link TarWriter}: ustar, pax (path, linkpath, size, uid, gid, mtime, {@code SCHILY.xattr.*} with
 * raw values, {@code LIBARCHIVE.xattr.*}) and GNU long names. Sparse files and multi-volume
 * archives are refused. Checks every header checksum, so garbage is an error, not an odd entry.
 */
public final class TarReader {

    private static final int BLOCK = 512;
    private static final int MAX_META = 1 << 20; // a pax header or GNU long name beyond 1 MiB is hostile

    private final InputStream in;
    private final byte[] header = new byte[BLOCK];
    private long remaining;   // unread content bytes of the current entry
    private long padding;     // zero bytes after it
    private boolean ended;

    public TarReader(InputStream in) {
        this.in = in;
    }

    /** The next entry, or null at the end of the archive. Skips what was not read of the previous. */
    public TarEntry next() throws IOException {
        skipRest();
        Map<String, byte[]> pax = new HashMap<>();
        String longName = null;
        String longLink = null;
        while (true) {
            if (ended || !readHeader()) {
                ended = true;
                return null;
            }
            char type = (char) header[156];
            long size = number(124, 12, "size");
            switch (type) {
                case 'x' -> {
                    pax.putAll(parsePax(readMeta(size, "pax header")));
                    continue;
                }
                case 'g' -> {
                    readMeta(size, "global pax header"); // applies to nothing we keep
                    continue;
                }
                case 'L' -> {
                    longName = cString(readMeta(size, "GNU long name"));
                    continue;
                }
                case 'K' -> {
                    longLink = cString(readMeta(size, "GNU long link"));
                    continue;
                }
                case 'S' -> throw new IOException("tar: sparse file " + headerName() + " is not supported");
                case 'M', 'V' -> throw new IOException("tar: multi-volume archives are not supported");
                default -> {
                    // a real entry
                }
            }
            return entry(type, size, pax, longName, longLink);
        }
    }

    /** The content of the current entry; reads end at its size. */
    public InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw new EOFException("tar: archive ends inside an entry");
                }
                remaining -= n;
                return n;
            }
        };
    }

    private TarEntry entry(char type, long size, Map<String, byte[]> pax, String longName, String longLink)
            throws IOException {
        String name = pax.containsKey("path") ? utf8(pax.get("path")) : longName != null ? longName : headerName();
        String link = pax.containsKey("linkpath") ? utf8(pax.get("linkpath"))
                : longLink != null ? longLink : cString(slice(157, 100));
        if (pax.containsKey("size")) {
            size = parseLong(pax.get("size"), "size");
        }
        long uid = pax.containsKey("uid") ? parseLong(pax.get("uid"), "uid") : number(108, 8, "uid");
        long gid = pax.containsKey("gid") ? parseLong(pax.get("gid"), "gid") : number(116, 8, "gid");
        Instant mtime = pax.containsKey("mtime") ? parseTime(pax.get("mtime")) : Instant.ofEpochSecond(number(136, 12, "mtime"));
        int mode = (int) (number(100, 8, "mode") & 07777);
        TarEntry.Type kind = switch (type) {
            case '0', '\0', '7' -> TarEntry.Type.FILE;
            case '1' -> TarEntry.Type.HARDLINK;
            case '2' -> TarEntry.Type.SYMLINK;
            case '3' -> TarEntry.Type.CHAR_DEVICE;
            case '4' -> TarEntry.Type.BLOCK_DEVICE;
            case '5' -> TarEntry.Type.DIRECTORY;
            case '6' -> TarEntry.Type.FIFO;
            default -> throw new IOException("tar: entry " + name + " has unknown type '" + type + "'");
        };
        if (type == '\0' && name.endsWith("/")) {
            kind = TarEntry.Type.DIRECTORY; // pre-POSIX archives mark directories only by the slash
        }
        var xattrs = new TreeMap<String, byte[]>();
        for (Map.Entry<String, byte[]> p : pax.entrySet()) {
            if (p.getKey().startsWith("SCHILY.xattr.")) {
                xattrs.put(p.getKey().substring("SCHILY.xattr.".length()), p.getValue());
            } else if (p.getKey().startsWith("LIBARCHIVE.xattr.")) {
                String xname = java.net.URLDecoder.decode(p.getKey().substring("LIBARCHIVE.xattr.".length()),
                        StandardCharsets.UTF_8);
                xattrs.put(xname, Base64.getDecoder().decode(utf8(p.getValue()).strip()));
            } else if (p.getKey().startsWith("GNU.sparse.")) {
                throw new IOException("tar: sparse file " + name + " is not supported");
            }
        }
        int devMajor = (int) number(329, 8, "devmajor");
        int devMinor = (int) number(337, 8, "devminor");
        // Content of anything but a regular file is meaningless; skip it with the entry.
        remaining = size;
        padding = (BLOCK - size % BLOCK) % BLOCK;
        long contentSize = kind == TarEntry.Type.FILE ? size : 0;
        if (name.endsWith("/") && name.length() > 1) {
            name = name.substring(0, name.length() - 1);
        }
        return new TarEntry(name, kind, mode, uid, gid, contentSize, mtime, link,
                kind == TarEntry.Type.CHAR_DEVICE || kind == TarEntry.Type.BLOCK_DEVICE ? devMajor : 0,
                kind == TarEntry.Type.CHAR_DEVICE || kind == TarEntry.Type.BLOCK_DEVICE ? devMinor : 0, xattrs);
    }

    private void skipRest() throws IOException {
        long skip = remaining + padding;
        remaining = 0;
        padding = 0;
        if (skip > 0) {
            try {
                in.skipNBytes(skip);
            } catch (EOFException e) {
                throw new EOFException("tar: archive ends inside an entry");
            }
        }
    }

    /** Reads the next header block; false at the end (a zero block or a clean EOF). */
    private boolean readHeader() throws IOException {
        int n = in.readNBytes(header, 0, BLOCK);
        if (n == 0) {
            return false;
        }
        if (n < BLOCK) {
            throw new EOFException("tar: archive ends inside a header");
        }
        boolean zero = true;
        for (byte b : header) {
            if (b != 0) {
                zero = false;
                break;
            }
        }
        if (zero) {
            return false;
        }
        long stored = number(148, 8, "checksum");
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = (i >= 148 && i < 156) ? ' ' : header[i];
            unsigned += b & 0xff;
            signed += (i >= 148 && i < 156) ? ' ' : header[i];
        }
        if (stored != unsigned && stored != signed) {
            throw new IOException("tar: bad header checksum (not a tar archive, or a corrupt one)");
        }
        return true;
    }

    private byte[] readMeta(long size, String what) throws IOException {
        if (size < 0 || size > MAX_META) {
            throw new IOException("tar: " + what + " of " + size + " bytes is too large");
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) {
            throw new EOFException("tar: archive ends inside a " + what);
        }
        in.skipNBytes((BLOCK - size % BLOCK) % BLOCK);
        return data;
    }

    private static Map<String, byte[]> parsePax(byte[] data) throws IOException {
        var result = new HashMap<String, byte[]>();
        int pos = 0;
        while (pos < data.length) {
            int space = pos;
            while (space < data.length && data[space] != ' ') {
                space++;
            }
            int length;
            try {
                length = Integer.parseInt(new String(data, pos, space - pos, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new IOException("tar: malformed pax record length");
            }
            int end = pos + length;
            if (length <= 0 || end > data.length || data[end - 1] != '\n') {
                throw new IOException("tar: malformed pax record");
            }
            int eq = space + 1;
            while (eq < end && data[eq] != '=') {
                eq++;
            }
            if (eq >= end) {
                throw new IOException("tar: pax record without '='");
            }
            String key = new String(data, space + 1, eq - space - 1, StandardCharsets.UTF_8);
            byte[] value = java.util.Arrays.copyOfRange(data, eq + 1, end - 1);
            result.put(key, value);
            pos = end;
        }
        return result;
    }

    private String headerName() {
        String name = cString(slice(0, 100));
        boolean posix = header[257] == 'u' && header[262] == 0; // "ustar\0": has a prefix field
        if (posix && header[345] != 0) {
            name = cString(slice(345, 155)) + "/" + name;
        }
        return name;
    }

    private byte[] slice(int offset, int length) {
        return java.util.Arrays.copyOfRange(header, offset, offset + length);
    }

    /** Octal (NUL/space padded) or GNU base-256 (high bit set). */
    private long number(int offset, int length, String field) throws IOException {
        if ((header[offset] & 0x80) != 0) {
            if ((header[offset] & 0x40) != 0) {
                throw new IOException("tar: negative " + field);
            }
            long value = header[offset] & 0x3f;
            for (int i = 1; i < length; i++) {
                if ((value >>> 55) != 0) {
                    throw new IOException("tar: " + field + " overflows");
                }
                value = (value << 8) | (header[offset + i] & 0xff);
            }
            return value;
        }
        long value = 0;
        boolean any = false;
        for (int i = offset; i < offset + length; i++) {
            byte b = header[i];
            if (b == 0 || (b == ' ' && any)) {
                break;
            }
            if (b == ' ') {
                continue;
            }
            if (b < '0' || b > '7') {
                throw new IOException("tar: bad octal digit in " + field);
            }
            value = (value << 3) | (b - '0');
            any = true;
        }
        return value;
    }

    private static long parseLong(byte[] value, String field) throws IOException {
        try {
            return Long.parseLong(utf8(value).strip());
        } catch (NumberFormatException e) {
            throw new IOException("tar: bad pax " + field);
        }
    }

    private static Instant parseTime(byte[] value) throws IOException {
        try {
            BigDecimal seconds = new BigDecimal(utf8(value).strip());
            long whole = seconds.setScale(0, java.math.RoundingMode.FLOOR).longValueExact();
            int nanos = seconds.subtract(BigDecimal.valueOf(whole)).movePointRight(9)
                    .setScale(0, java.math.RoundingMode.DOWN).intValue();
            return Instant.ofEpochSecond(whole, nanos);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IOException("tar: bad pax mtime");
        }
    }

    private static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    private static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
