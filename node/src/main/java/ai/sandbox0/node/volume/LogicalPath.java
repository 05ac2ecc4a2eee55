package ai.sandbox0.node.volume;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A path inside a volume as the API names it ({@code /a/b}), cleaned lexically: empty and {@code .}
 * components drop out and {@code ..} removes the one before it, stopping at the root, so
 * {@code /../../etc} is the volume's {@code /etc}. What reaches the kernel is thus a list of plain
 * names; symbolic links on the way are still resolved, by {@code openat2} inside the root.
 */
record LogicalPath(List<String> names) {

    static final LogicalPath ROOT = new LogicalPath(List.of());

    LogicalPath {
        names = List.copyOf(names);
    }

    /** Parses an absolute path; IllegalArgumentException if it is relative or holds a NUL. */
    static LogicalPath parse(String path) {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("path must be absolute (start with /): " + path);
        }
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("path must not contain a NUL character");
        }
        var names = new ArrayList<String>();
        for (String name : path.split("/")) {
            switch (name) {
                case "", "." -> {
                }
                case ".." -> {
                    if (!names.isEmpty()) {
                        names.removeLast();
                    }
                }
                default -> names.add(name);
            }
        }
        return new LogicalPath(names);
    }

    boolean isRoot() {
        return names.isEmpty();
    }

    /** The last name; the root has none. */
    String name() {
        if (isRoot()) {
            throw new IllegalStateException("the root has no name");
        }
        return names.getLast();
    }

    byte[] nameBytes() {
        return name().getBytes(StandardCharsets.UTF_8);
    }

    LogicalPath parent() {
        return isRoot() ? this : new LogicalPath(names.subList(0, names.size() - 1));
    }

    LogicalPath child(String name) {
        var more = new ArrayList<>(names);
        more.add(name);
        return new LogicalPath(more);
    }

    /** The first {@code count} names. */
    LogicalPath prefix(int count) {
        return new LogicalPath(names.subList(0, count));
    }

    /** This path, or a path under it. */
    boolean contains(LogicalPath other) {
        return other.names.size() >= names.size() && other.names.subList(0, names.size()).equals(names);
    }

    /** The path for openat2 relative to the root's descriptor. */
    byte[] relative() {
        return (isRoot() ? "." : String.join("/", names)).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "/" + String.join("/", names);
    }
}
