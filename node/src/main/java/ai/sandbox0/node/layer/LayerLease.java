package ai.sandbox0.node.layer;

import ai.sandbox0.node.LayerChain;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * A hold on the extracted layers of one chain: while it is open, {@link LayerCache#gc} keeps them.
 * Close it when the overlay that uses them is unmounted. Closing twice is harmless.
 */
public final class LayerLease implements AutoCloseable {

    private final LayerCache cache;
    private final LayerChain chain;
    private final List<Path> directories;
    private final Path emptyDir;
    private final AtomicBoolean released = new AtomicBoolean();

    LayerLease(LayerCache cache, LayerChain chain, List<Path> directories, Path emptyDir) {
        this.cache = cache;
        this.emptyDir = emptyDir;
        this.chain = chain;
        this.directories = List.copyOf(directories);
    }

    public LayerChain chain() {
        return chain;
    }

    /** The extracted, read-only layer directories, lowest first (the chain's order). */
    public List<Path> directories() {
        return directories;
    }

    /**
     * The same directories in overlayfs order: the topmost lower dir comes first. An empty chain
     * yields one empty directory, since overlayfs needs at least one lower dir.
     */
    public List<Path> lowerDirs() {
        return directories.isEmpty() ? List.of(emptyDir) : directories.reversed();
    }

    /**
     * The {@code lowerdir=} value for an overlay mount. Overlay reads mount options from one page
     * (4096 bytes), so very deep chains must be squashed before they reach that limit.
     */
    public String lowerdirOption() {
        return lowerDirs().stream().map(Path::toString).collect(Collectors.joining(":"));
    }

    /**
     * Complete overlay mount options for a sandbox root over this chain. {@code redirect_dir} and
     * {@code metacopy} stay off so the upper dir holds whole files a checkpoint can export;
     * {@code index=off} because layers are shared by many mounts.
     */
    public String overlayOptions(Path upperDir, Path workDir) {
        String options = "lowerdir=" + lowerdirOption() + ",upperdir=" + upperDir + ",workdir=" + workDir
                + ",redirect_dir=off,metacopy=off,index=off";
        if (options.length() >= 4096) {
            throw new IllegalStateException("overlay options for a chain of " + chain.depth() + " layers are "
                    + options.length() + " bytes, over the kernel's 4095: squash the chain");
        }
        return options;
    }

    public boolean isReleased() {
        return released.get();
    }

    @Override
    public void close() {
        if (released.compareAndSet(false, true)) {
            cache.release(chain);
        }
    }
}
