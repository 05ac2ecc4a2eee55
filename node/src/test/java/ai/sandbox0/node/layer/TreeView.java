package ai.sandbox0.node.layer;

import ai.sandbox0.node.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** What a person would see in a directory tree, as one comparable map: path → type, mode, owner, content. */
public final class TreeView {

    private TreeView() {
    }

    public static Map<String, String> of(Path root) throws IOException {
        var view = new TreeMap<String, String>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                if (p.equals(root)) {
                    continue;
                }
                view.put(root.relativize(p).toString(), describe(p));
            }
        }
        return view;
    }

    public static String describe(Path p) throws IOException {
        Inode n = Inode.require(p);
        var s = new StringBuilder(n.kind().name()).append(' ')
                .append(n.kind() == Inode.Kind.SYMLINK ? "" : Integer.toOctalString(n.mode()))
                .append(' ').append(n.uid()).append(':').append(n.gid());
        switch (n.kind()) {
            case FILE -> s.append(" sha=").append(Digest.of(Files.readAllBytes(p)).shortHex())
                    .append(" mtime=").append(n.mtime());
            case SYMLINK -> s.append(" -> ").append(Files.readSymbolicLink(p));
            case CHAR_DEVICE, BLOCK_DEVICE -> s.append(" dev=").append(n.major()).append(',').append(n.minor());
            default -> {
            }
        }
        for (String x : Posix.llistxattr(p)) {
            if (!x.startsWith("trusted.overlay.")) {
                s.append(' ').append(x).append('=')
                        .append(HexFormat.of().formatHex(Posix.lgetxattr(p, x).orElseThrow()));
            }
        }
        return s.toString();
    }
}
