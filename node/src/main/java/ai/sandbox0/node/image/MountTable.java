package ai.sandbox0.node.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Mounts below a directory, and their removal: a debootstrap killed mid-build leaves /proc and
 * /sys mounted inside its target. The mountinfo file and the umount binary come in from outside.
 */
public final class MountTable {

    private final Path mountinfo;
    private final Path umount;

    public MountTable(Path mountinfo, Path umount) {
        this.mountinfo = mountinfo;
        this.umount = umount;
    }

    public static MountTable ofThisHost() {
        return new MountTable(Path.of("/proc/self/mountinfo"), Path.of("/usr/bin/umount"));
    }

    /** Mount points at or below {@code dir}, deepest first. */
    public List<Path> under(Path dir) throws IOException {
        var result = new ArrayList<Path>();
        Path base = dir.toAbsolutePath().normalize();
        for (String line : Files.readAllLines(mountinfo, StandardCharsets.UTF_8)) {
            String[] fields = line.split(" ");
            if (fields.length > 4) {
                Path point = Path.of(unescape(fields[4]));
                if (point.startsWith(base)) {
                    result.add(point);
                }
            }
        }
        result.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return result;
    }

    /** Detaches every mount at or below {@code dir}. */
    public void unmountAll(Path dir) throws IOException {
        for (Path point : under(dir)) {
            Process p = new ProcessBuilder(umount.toString(), "-l", point.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                if (p.waitFor() != 0) {
                    throw new IOException("umount " + point + ": " + out.strip());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("umount " + point + ": interrupted", e);
            }
        }
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String field) {
        var out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                try {
                    out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException ignored) {
                    // not an escape
                }
            }
            out.append(c);
        }
        return out.toString();
    }
}
