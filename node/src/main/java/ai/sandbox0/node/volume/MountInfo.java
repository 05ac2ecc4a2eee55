package ai.sandbox0.node.volume;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of {@code /proc/self/mountinfo}: unlike {@code /proc/mounts} it tells which directory of the
 * filesystem a mount shows ({@code root}), so a bind of one subvolume is told apart from the pool's own mount.
 *
 * @param device the filesystem's {@code major:minor}, the same for every mount of it
 * @param root the directory of the filesystem the mount shows, from its top ({@code /vols/<id>})
 */
record MountInfo(String device, String root, Path mountPoint, String type, String source) {

    static final Path SELF = Path.of("/proc/self/mountinfo");

    static List<MountInfo> read(Path table) throws IOException {
        var mounts = new ArrayList<MountInfo>();
        for (String line : Files.readAllLines(table)) {
            parse(line).ifPresent(mounts::add);
        }
        return mounts;
    }

    /** {@code id parent major:minor root mount-point options [optional...] - type source super-options}. */
    static java.util.Optional<MountInfo> parse(String line) {
        String[] f = line.split(" ");
        int dash = List.of(f).indexOf("-");
        if (f.length < 5 || dash < 6 || dash + 2 >= f.length) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new MountInfo(f[2], unescape(f[3]), Path.of(unescape(f[4])), f[dash + 1],
                unescape(f[dash + 2])));
    }

    /** The last mount at {@code mountPoint} (the one on top), if any. */
    static java.util.Optional<MountInfo> at(List<MountInfo> mounts, Path mountPoint) {
        MountInfo top = null;
        for (MountInfo m : mounts) {
            if (m.mountPoint.equals(mountPoint)) {
                top = m;
            }
        }
        return java.util.Optional.ofNullable(top);
    }

    /** Whether the mount shows {@code dir} (a path from the filesystem's top) or something under it. */
    boolean shows(String dir) {
        return root.equals(dir) || root.startsWith(dir + "/");
    }

    /** The kernel writes space, tab, newline and backslash as three-digit octal escapes. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        var sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
