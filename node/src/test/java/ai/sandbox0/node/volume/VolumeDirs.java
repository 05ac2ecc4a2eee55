package ai.sandbox0.node.volume;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A volume root and, beside it, a directory standing for the host outside the volume, with a file
 * whose content must never change and files that must never appear there.
 */
final class VolumeDirs {

    static final String SECRET = "host secret, never to be read or changed";
    static final long UID = 1234;
    static final long GID = 5678;

    final Path root;
    final Path outside;
    final Path secret;

    VolumeDirs(Path tmp) throws IOException {
        requireRoot();
        root = Files.createDirectory(tmp.resolve("volume"));
        outside = Files.createDirectory(tmp.resolve("outside"));
        secret = Files.writeString(outside.resolve("secret"), SECRET);
    }

    VolumeFiles files() {
        return VolumeFiles.at(root, UID, GID, false);
    }

    VolumeFiles readOnly() {
        return VolumeFiles.at(root, UID, GID, true);
    }

    /** Plants a symbolic link in the volume, as a sandbox would. */
    Path link(String name, String target) throws IOException {
        Path link = root.resolve(name);
        Files.createDirectories(link.getParent());
        return Files.createSymbolicLink(link, Path.of(target));
    }

    /** The outside directory is as it was: the secret unchanged and nothing added. */
    boolean outsideUntouched() throws IOException {
        try (var entries = Files.list(outside)) {
            return Files.readString(secret).equals(SECRET) && entries.count() == 1;
        }
    }

    /** A name under the host's /tmp that no one uses; what confinement must keep from appearing. */
    static String hostTmpName() {
        return "/tmp/s0-escape-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    static String read(VolumeFiles files, String path) throws IOException {
        try (SeekableByteChannel channel = files.read(path)) {
            var out = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) >= 0) {
                out.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    static InputStream body(String text) {
        return new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    static long uid(Path path) throws IOException {
        return ((Number) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
    }

    static long gid(Path path) throws IOException {
        return ((Number) Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue();
    }

    static int mode(Path path) throws IOException {
        return ((Number) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS)).intValue() & 07777;
    }

    static long inode(Path path) throws IOException {
        return ((Number) Files.getAttribute(path, "unix:ino", LinkOption.NOFOLLOW_LINKS)).longValue();
    }

    static void mkfifo(Path path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("mkfifo " + path + " failed");
        }
    }

    /** Volume tests chown files and make device nodes: they need root, and fail without it. */
    static void requireRoot() throws IOException {
        String uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Uid:")).findFirst().orElse("Uid: ?").split("\\s+")[2];
        if (!uid.equals("0")) {
            throw new AssertionError("volume file tests need root (chown, mknod); effective uid is " + uid);
        }
    }
}
