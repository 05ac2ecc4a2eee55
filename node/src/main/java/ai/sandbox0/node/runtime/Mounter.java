package ai.sandbox0.node.runtime;

import java.nio.file.Path;
import java.util.List;

/** Mounts and unmounts the overlay root of sandboxes, what it is built from and the volumes bound in. */
public interface Mounter {

    /**
     * Attaches a read-only view of {@code source} at {@code target} in which ids are shifted as the user
     * namespace {@code userns} (an nsfs file) maps them: a file owned by 0 on disk shows as the namespace's
     * host uid for 0. The sandbox's root then sees its image as its own without a chown of the image.
     */
    default void bindIdmapped(Path source, Path target, Path userns) throws SetupException {
        bindIdmapped(source, target, userns, true);
    }

    /**
     * Like {@link #bindIdmapped(Path, Path, Path)}, writable unless {@code readOnly}: what the namespace's ids
     * write is stored with the ids they have inside it (a volume's files keep their container-side owners).
     * Always without setuid and device files.
     */
    void bindIdmapped(Path source, Path target, Path userns, boolean readOnly) throws SetupException;

    /** A plain bind mount of {@code source} on {@code target} (an nsfs file, to keep a namespace). */
    void bind(Path source, Path target) throws SetupException;

    /**
     * Mounts {@code overlay(lower = lowers, upper, work)} at {@code target}.
     *
     * @param lowers read-only layer dirs, lowest first
     */
    void mountOverlay(List<Path> lowers, Path upper, Path work, Path target) throws SetupException;

    /** Unmounts {@code target}; a target that is not mounted is fine. */
    void unmount(Path target) throws SetupException;

    /** The overlay option string: overlayfs wants the topmost lower first. */
    static String overlayOptions(List<Path> lowers, Path upper, Path work) {
        if (lowers.isEmpty()) {
            throw new IllegalArgumentException("an overlay needs at least one lower dir");
        }
        var sb = new StringBuilder("lowerdir=");
        for (int i = lowers.size() - 1; i >= 0; i--) {
            String p = lowers.get(i).toString();
            if (p.contains(":") || p.contains(",")) {
                throw new IllegalArgumentException("overlay paths may not contain ':' or ',': " + p);
            }
            sb.append(p);
            if (i > 0) {
                sb.append(':');
            }
        }
        sb.append(",upperdir=").append(upper).append(",workdir=").append(work);
        // Keep hard links of copied-up files apart and never follow redirects set by a layer's xattrs.
        sb.append(",index=off,redirect_dir=off");
        return sb.toString();
    }
}
