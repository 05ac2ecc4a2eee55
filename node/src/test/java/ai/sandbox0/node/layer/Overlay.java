package ai.sandbox0.node.layer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** An overlay mount for tests, through mount(8): lower dirs from a lease, a fresh upper and work dir. */
public final class Overlay implements AutoCloseable {

    final Path merged;
    final Path upper;
    final Path work;
    private boolean mounted;

    private Overlay(Path base) throws IOException {
        this.merged = Files.createDirectories(base.resolve("merged"));
        this.upper = Files.createDirectories(base.resolve("upper"));
        this.work = Files.createDirectories(base.resolve("work"));
    }

    public static Overlay mount(LayerLease lease, Path base) throws IOException, InterruptedException {
        var overlay = new Overlay(base);
        run("mount", "-t", "overlay", "overlay", "-o", lease.overlayOptions(overlay.upper, overlay.work),
                overlay.merged.toString());
        overlay.mounted = true;
        return overlay;
    }

    public void unmount() throws IOException {
        if (mounted) {
            try {
                run("umount", merged.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("umount " + merged + ": interrupted", e);
            }
            mounted = false;
        }
    }

    @Override
    public void close() throws IOException {
        unmount();
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }
}
