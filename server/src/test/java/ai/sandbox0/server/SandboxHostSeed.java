package ai.sandbox0.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * What every sandbox-backed test server with local layer blobs builds the same way: the default image's extracted
 * layers and procd installed with its AOT cache. The first such server of a test JVM builds them as production does;
 * it leaves hard-linked copies here when it closes, and each later server starts with hard-linked copies of those in
 * its data dir, as a restarted node finds its own. Extraction and the install stay covered by that first server and
 * by the node module's tests; the other suites skip repeating them.
 *
 * <p>Extracted layers are read-only lower dirs (a sandbox's writes copy up into its own disk) and an installed procd
 * is only read, so data dirs sharing their inodes cannot see each other's changes.
 */
final class SandboxHostSeed {

    private static Path root;

    private SandboxHostSeed() {
    }

    /** Copies what the seed holds into a data dir no server has used yet. */
    static synchronized void plant(Path dataDir) {
        if (root == null) {
            return;
        }
        linkEach(root.resolve("layers"), dataDir.resolve("storage/layers/layers"), "sha256-");
        linkEach(root.resolve("procd"), dataDir.resolve("node/procd"), "");
    }

    /** Keeps what a closed server extracted and installed, for the servers started after it. */
    static synchronized void harvest(Path dataDir) {
        try {
            if (root == null) {
                root = Files.createTempDirectory("s0-test-seed");
                Path dir = root;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> remove(dir)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        linkEach(dataDir.resolve("storage/layers/layers"), root.resolve("layers"), "sha256-");
        linkEach(dataDir.resolve("node/procd"), root.resolve("procd"), "");
    }

    /** Hard-links each complete entry of {@code from} named {@code prefix}… that {@code to} lacks. */
    private static void linkEach(Path from, Path to, String prefix) {
        if (!Files.isDirectory(from)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(from, prefix + "*")) {
            for (Path entry : entries) {
                Path target = to.resolve(entry.getFileName());
                boolean complete = prefix.isEmpty() ? Files.exists(entry.resolve(".installed")) : Files.isDirectory(entry);
                if (!complete || Files.exists(target)) {
                    continue;
                }
                Files.createDirectories(to);
                Path partial = to.resolve(".seeding-" + entry.getFileName());
                // cp keeps what overlayfs reads in a lower dir: modes, owners, xattrs, whiteout devices, symlinks.
                run(List.of("cp", "-a", "--link", entry.toString(), partial.toString()));
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void remove(Path dir) {
        try {
            run(List.of("rm", "-rf", "--one-file-system", dir.toString()));
        } catch (IOException e) {
            System.err.println("cannot remove test seed " + dir + ": " + e.getMessage());
        }
    }

    private static void run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        try {
            if (process.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }
}
