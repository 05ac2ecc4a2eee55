package ai.sandbox0.procd.file;

import ai.sandbox0.procd.ProcdException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Resolves request paths: absolute ones as they are, relative ones against the workspace root. */
public record Workspace(Path root) {

    public Path resolve(String path) {
        if (path == null || path.isEmpty()) {
            throw ProcdException.invalid("path is required");
        }
        try {
            return root.resolve(path).normalize();
        } catch (InvalidPathException e) {
            throw ProcdException.invalid("invalid path: " + path);
        }
    }
}
