package ai.sandbox0.node.layer;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes a POSIX (pax) tar stream. Headers carry no user or group names and no access times, so
 * the same entries always give the same bytes. Whatever does not fit a ustar field (long paths,
 * big sizes or ids, sub-second mtimes, xattrs as {@code SCHILY.xattr.*} with raw values) goes in a
 * pax extended header. Does not close the stream it writes to.
 */
public final class TarWriter {

    private static final int BLOCK = 512;
    private static final long MAX_OCTAL_7 = 07777777L;
    private static final long MAX_OCTAL_11 = 077777777777L;

    private final OutputStream out;
    private final byte[] copyBuffer = new byte[64 * 1024];
    private long written;

    public TarWriter(OutputStream out) {
        this.out = out;
    }

    /** Writes one entry; {@code content} must yield exactly {@code entry.size()} bytes for a file. */
    public void write(TarEntry entry, InputStream content) throws IOException {
        byte[] pax = paxRecords(entry);
        if (pax.length > 0) {
            writeHeader("././@PaxHeader", 'x', 0, 0, 0, pax.length, 0, "", 0, 0);
            out.write(pax);
            pad(pax.length);
            written += pax.length;
        }
        String name = entry.type() == TarEntry.Type.DIRECTORY ? entry.name() + "/" : entry.name();
        writeHeader(name, entry.type().flag, entry.mode(), entry.uid(), entry.gid(), entry.size(),
                entry.mtime().getEpochSecond(), entry.linkName(), entry.devMajor(), entry.devMinor());
        if (entry.type() == TarEntry.Type.FILE && entry.size() > 0) {
            copyExactly(content, entry.size(), entry.name());
            pad(entry.size());
        }
    }

    /** Ends the archive with two zero blocks and flushes. */
    public void finish() throws IOException {
        out.write(new byte[2 * BLOCK]);
        written += 2 * BLOCK;
        out.flush();
    }

    /** Bytes written so far: the uncompressed size of the layer. */
    public long written() {
        return written;
    }

    private void copyExactly(InputStream content, long size, String name) throws IOException {
        long remaining = size;
        while (remaining > 0) {
            int n = content.read(copyBuffer, 0, (int) Math.min(copyBuffer.length, remaining));
            if (n < 0) {
                throw new EOFException("tar entry " + name + ": file shrank while writing (" + remaining
                        + " of " + size + " bytes missing)");
            }
            out.write(copyBuffer, 0, n);
            remaining -= n;
            written += n;
        }
    }

    private void pad(long size) throws IOException {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
            written += BLOCK - rest;
        }
    }

    private static byte[] paxRecords(TarEntry e) {
        var records = new ByteArrayOutputStream();
        String name = e.type() == TarEntry.Type.DIRECTORY ? e.name() + "/" : e.name();
        if (name.getBytes(StandardCharsets.UTF_8).length > 100 || !isAscii(name)) {
            record(records, "path", name.getBytes(StandardCharsets.UTF_8));
        }
        if (e.linkName().getBytes(StandardCharsets.UTF_8).length > 100 || !isAscii(e.linkName())) {
            record(records, "linkpath", e.linkName().getBytes(StandardCharsets.UTF_8));
        }
        if (e.size() > MAX_OCTAL_11) {
            record(records, "size", Long.toString(e.size()).getBytes(StandardCharsets.US_ASCII));
        }
        if (e.uid() > MAX_OCTAL_7 || e.uid() < 0) {
            record(records, "uid", Long.toString(e.uid()).getBytes(StandardCharsets.US_ASCII));
        }
        if (e.gid() > MAX_OCTAL_7 || e.gid() < 0) {
            record(records, "gid", Long.toString(e.gid()).getBytes(StandardCharsets.US_ASCII));
        }
        Instant mtime = e.mtime();
        if (mtime.getNano() != 0 || mtime.getEpochSecond() < 0 || mtime.getEpochSecond() > MAX_OCTAL_11) {
            record(records, "mtime", paxTime(mtime).getBytes(StandardCharsets.US_ASCII));
        }
        for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
            record(records, "SCHILY.xattr." + x.getKey(), x.getValue());
        }
        return records.toByteArray();
    }

    static String paxTime(Instant t) {
        long seconds = t.getEpochSecond();
        int nanos = t.getNano();
        if (nanos == 0) {
            return Long.toString(seconds);
        }
        if (seconds < 0) { // -1.5 s is epochSecond -2, nanos 500000000
            seconds += 1;
            nanos = 1_000_000_000 - nanos;
            return (seconds == 0 ? "-0" : Long.toString(seconds)) + "." + String.format("%09d", nanos);
        }
        return seconds + "." + String.format("%09d", nanos);
    }

    /** {@code "<len> <key>=<value>\n"} where len counts the whole record, itself included. */
    private static void record(ByteArrayOutputStream records, String key, byte[] value) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        int rest = 1 + keyBytes.length + 1 + value.length + 1;
        int length = rest + Integer.toString(rest).length();
        if (Integer.toString(length).length() != Integer.toString(rest).length()) {
            length = rest + Integer.toString(length).length();
        }
        records.writeBytes((length + " ").getBytes(StandardCharsets.US_ASCII));
        records.writeBytes(keyBytes);
        records.write('=');
        records.writeBytes(value);
        records.write('\n');
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80 || s.charAt(i) == 0) {
                return false;
            }
        }
        return true;
    }

    private void writeHeader(String name, char type, int mode, long uid, long gid, long size, long mtime,
            String linkName, int devMajor, int devMinor) throws IOException {
        byte[] h = new byte[BLOCK];
        field(h, 0, 100, name.getBytes(StandardCharsets.UTF_8));
        octal(h, 100, 8, mode & 07777);
        octal(h, 108, 8, uid >= 0 && uid <= MAX_OCTAL_7 ? uid : 0);
        octal(h, 116, 8, gid >= 0 && gid <= MAX_OCTAL_7 ? gid : 0);
        octal(h, 124, 12, size <= MAX_OCTAL_11 ? size : 0);
        octal(h, 136, 12, mtime >= 0 && mtime <= MAX_OCTAL_11 ? mtime : 0);
        Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = (byte) type;
        field(h, 157, 100, linkName.getBytes(StandardCharsets.UTF_8));
        field(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        field(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        if (type == '3' || type == '4') {
            octal(h, 329, 8, devMajor);
            octal(h, 337, 8, devMinor);
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        byte[] check = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(check, 0, h, 148, 8);
        out.write(h);
        written += BLOCK;
    }

    /** Copies at most {@code length} bytes; a longer value has its full form in the pax header. */
    private static void field(byte[] header, int offset, int length, byte[] value) {
        System.arraycopy(value, 0, header, offset, Math.min(length, value.length));
    }

    private static void octal(byte[] header, int offset, int length, long value) {
        String digits = Long.toOctalString(value);
        String padded = "0".repeat(Math.max(0, length - 1 - digits.length())) + digits;
        field(header, offset, length - 1, padded.getBytes(StandardCharsets.US_ASCII));
        header[offset + length - 1] = 0;
    }
}
