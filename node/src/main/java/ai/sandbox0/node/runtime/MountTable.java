package ai.sandbox0.node.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The host's mount table ({@code /proc/self/mounts}, injected so tests can fake it). */
public record MountTable(Path procMounts) {

    public static MountTable ofThisHost() {
        return new MountTable(Path.of("/proc/self/mounts"));
    }

    /** Mount points at or below {@code dir}, deepest first (the order to unmount them in). */
    public List<Path> mountPointsUnder(Path dir) throws IOException {
        var out = new ArrayList<Path>();
        for (String line : Files.readAllLines(procMounts)) {
            String[] f = line.split(" ");
            if (f.length < 2) {
                continue;
            }
            Path mp = Path.of(unescape(f[1]));
            if (mp.startsWith(dir)) {
                out.add(mp);
            }
        }
        out.sort((a, b) -> Integer.compare(b.getNameCount(), a.getNameCount()));
        return out;
    }

    /** What is mounted at {@code dir} (a device such as /dev/loop3), if anything. */
    public Optional<String> sourceOf(Path dir) throws IOException {
        Optional<String> source = Optional.empty();
        for (String line : Files.readAllLines(procMounts)) {
            String[] f = line.split(" ");
            if (f.length >= 2 && Path.of(unescape(f[1])).equals(dir)) {
                source = Optional.of(unescape(f[0])); // the last one is on top
            }
        }
        return source;
    }

    public boolean isMountPoint(Path dir) throws IOException {
        return mountPointsUnder(dir).contains(dir);
    }

    /** /proc/mounts writes space, tab, newline and backslash as octal escapes. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        var sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException ignored) {
                    // not an escape
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
