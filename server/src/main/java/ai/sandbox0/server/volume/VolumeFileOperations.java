package ai.sandbox0.server.volume;

import ai.sandbox0.api.file.FileEntries;
import ai.sandbox0.api.file.FileInfo;
import ai.sandbox0.api.file.FileType;
import ai.sandbox0.api.tenancy.QuotaDimension;
import ai.sandbox0.node.volume.ArchiveCounts;
import ai.sandbox0.node.volume.ArchiveLimits;
import ai.sandbox0.node.volume.FileTooLargeException;
import ai.sandbox0.node.volume.VolumeEntry;
import ai.sandbox0.node.volume.VolumeFiles;
import ai.sandbox0.node.volume.VolumeFullException;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.domain.DomainException.QuotaExceeded;
import ai.sandbox0.server.domain.DomainException.TooLarge;
import ai.sandbox0.server.domain.DomainException.Unavailable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The direct file API of a volume (spec §1.3): every path is cleaned and resolved inside the volume by the
 * node, files made here belong to the volume's default uid and gid, and writes are checked against the team's
 * {@code volume_storage_gb} before and while they stream. Missing files, existing paths and the like fail with
 * the JDK's exceptions, which the HTTP layer answers (404, 409, 403).
 */
public final class VolumeFileOperations {

    /** The most one write may carry (upstream's). */
    public static final long MAX_WRITE_BYTES = 100L << 20;
    /** Up to this, a declared body over the limit is read before the 413 (a bigger one is refused at once). */
    static final long DRAIN_BEFORE_REFUSING = 2 * MAX_WRITE_BYTES;

    private final VolumeService volumes;

    public VolumeFileOperations(VolumeService volumes) {
        this.volumes = volumes;
    }

    /** A file being read: its size and its bytes, to be closed by whoever sends them. */
    public record FileRead(long size, InputStream body) {
    }

    public FileInfo stat(Principal caller, String volumeId, String rawPath) throws IOException {
        String path = VolumePaths.clean(rawPath, "path");
        VolumeFiles files = files(caller, volumeId);
        try {
            return info(files.stat(path), true);
        } catch (IOException | IllegalArgumentException e) {
            throw translate(e, path, caller);
        }
    }

    public FileEntries list(Principal caller, String volumeId, String rawPath) throws IOException {
        String path = VolumePaths.clean(rawPath, "path");
        VolumeFiles files = files(caller, volumeId);
        try {
            return new FileEntries(files.list(path).stream().map(e -> info(e, false)).toList());
        } catch (IOException | IllegalArgumentException e) {
            throw translate(e, path, caller);
        }
    }

    public FileRead read(Principal caller, String volumeId, String rawPath) throws IOException {
        String path = VolumePaths.clean(rawPath, "path");
        VolumeFiles files = files(caller, volumeId);
        try {
            SeekableByteChannel channel = files.read(path);
            return new FileRead(channel.size(), Channels.newInputStream(channel));
        } catch (IOException | IllegalArgumentException e) {
            throw translate(e, path, caller);
        }
    }

    /**
     * Replaces the file's content by {@code body} ({@code declaredLength} bytes, or -1 when unknown), making
     * missing parents. Over {@link #MAX_WRITE_BYTES} is a 413; past the team's volume quota a 429, checked
     * against the declared length first and against the bytes as they come.
     */
    public void write(Principal caller, String volumeId, String rawPath, InputStream body, long declaredLength)
            throws IOException {
        String path = VolumePaths.clean(rawPath, "path");
        if (path.equals(VolumePaths.ROOT)) {
            throw new Invalid("path must name a file, not the volume root");
        }
        if (declaredLength > MAX_WRITE_BYTES) {
            // Read (and drop) a body not much over the limit first: a client still sending when the answer comes
            // would see its connection reset instead of the 413 (HTTP/1.1 without Expect: 100-continue).
            if (declaredLength <= DRAIN_BEFORE_REFUSING) {
                body.transferTo(OutputStream.nullOutputStream());
            }
            throw tooLarge();
        }
        VolumeRecord volume = volumes.ready(caller, volumeId);
        VolumeFiles files = files(volume);
        VolumeQuota quota = volumes.quota();
        long allowance = Long.MAX_VALUE;
        try {
            if (quota.limitBytes(volume.teamId(), QuotaDimension.VOLUME_STORAGE_GB).isPresent()) {
                long replaced = sizeOfFile(files, path);
                quota.requireVolumeRoom(volume.teamId(), Math.max(0, declaredLength - replaced), "this write");
                allowance = quota.volumeAllowance(volume.teamId()) + replaced;
            }
            files.write(path, new BoundedBody(body, MAX_WRITE_BYTES, allowance), MAX_WRITE_BYTES + 1);
        } catch (IOException | IllegalArgumentException e) {
            throw translate(e, path, caller);
        } finally {
            quota.changed(volume.id());
            volumes.durability().changed(volume.id());
        }
    }

    /** Makes a directory; with {@code recursive} its parents too, and an existing directory is fine. */
    public void mkdir(Principal caller, String volumeId, String rawPath, boolean recursive) throws IOException {
        String path = VolumePaths.clean(rawPath, "path");
        VolumeFiles files = files(caller, volumeId);
        try {
            files.mkdir(path, recursive);
        } catch (FileAlreadyExistsException e) {
            if (!recursive || files.stat(path).kind() != VolumeEntry.Kind.DIRECTORY) {
                throw new FileAlreadyExistsException(path);
            }
        } catch (IOException | IllegalArgumentException e) {
            throw translate(e, path, caller);
        }
        volumes.durability().changed(volumeId);
    }

    /** Deletes a file, link or directory with everything in it. */
    public void delete(Principal caller, String volumeId, String rawPath) throws IOException {
        String path = VolumePaths.clean(rawPath, "path");
        if (path.equals(VolumePaths.ROOT)) {
            throw new Invalid("the volume root cannot be deleted; delete the volume instead");
        }
        VolumeRecord volume = volumes.ready(caller, volumeId);
        try {
            files(volume).delete(path);
        } catch (IOException | IllegalArgumentException e) {
            throw translate(e, path, caller);
        } finally {
            volumes.quota().changed(volume.id());
            volumes.durability().changed(volume.id());
        }
    }

    public void move(Principal caller, String volumeId, String rawSource, String rawDestination) throws IOException {
        if (rawSource == null || rawSource.isEmpty() || rawDestination == null || rawDestination.isEmpty()) {
            throw new Invalid("source and destination are required");
        }
        String source = VolumePaths.clean(rawSource, "source");
        String destination = VolumePaths.clean(rawDestination, "destination");
        if (source.equals(VolumePaths.ROOT) || destination.equals(VolumePaths.ROOT)) {
            throw new Invalid("the volume root cannot be moved or replaced");
        }
        VolumeRecord volume = volumes.ready(caller, volumeId);
        try {
            files(volume).move(source, destination);
        } catch (IOException | IllegalArgumentException e) {
            throw translate(e, source + " to " + destination, caller);
        } finally {
            volumes.quota().changed(volume.id());
            volumes.durability().changed(volume.id());
        }
    }

    /**
     * Unpacks a tar stream under the path (made if missing); regular files overwrite, and what was written before
     * a failure stays (not atomic, as upstream). The archive's own bytes count as what it adds to the quota.
     */
    public ArchiveCounts importArchive(Principal caller, String volumeId, String rawPath, InputStream tar,
            long declaredLength) throws IOException {
        String path = VolumePaths.clean(rawPath, "path");
        VolumeRecord volume = volumes.ready(caller, volumeId);
        VolumeFiles files = files(volume);
        VolumeQuota quota = volumes.quota();
        long allowance = Long.MAX_VALUE;
        try {
            if (quota.limitBytes(volume.teamId(), QuotaDimension.VOLUME_STORAGE_GB).isPresent()) {
                quota.requireVolumeRoom(volume.teamId(), Math.max(0, declaredLength), "this archive");
                allowance = quota.volumeAllowance(volume.teamId());
            }
            return files.importTar(path, new BoundedBody(tar, Long.MAX_VALUE, allowance), ArchiveLimits.DEFAULT);
        } catch (IOException | IllegalArgumentException e) {
            throw translate(e, path, caller);
        } finally {
            quota.changed(volume.id());
            volumes.durability().changed(volume.id());
        }
    }

    private VolumeFiles files(Principal caller, String volumeId) throws IOException {
        return files(volumes.ready(caller, volumeId));
    }

    /** The volume's files, made as its default owner (which the pool keeps with the volume). */
    private VolumeFiles files(VolumeRecord volume) throws IOException {
        return VolumeService.onPool(() -> volumes.pool().files(volume.id()));
    }

    /** The size of the regular file a write would replace; 0 when there is none. */
    private static long sizeOfFile(VolumeFiles files, String path) throws IOException {
        try {
            VolumeEntry entry = files.stat(path);
            return entry.kind() == VolumeEntry.Kind.FILE ? entry.size() : 0;
        } catch (NoSuchFileException | NotDirectoryException e) {
            return 0;
        }
    }

    /**
     * The answer to a failed file operation: the JDK's exceptions for missing, existing, non-empty and forbidden
     * paths pass on (the HTTP layer maps them); a full volume is the quota's 429 when the team has a limit, else
     * the node is out of space; any other refusal of the file system is the caller's path, a 400.
     */
    private IOException translate(Exception failure, String path, Principal caller) throws IOException {
        switch (BoundedBody.bodyFailure(failure)) {
            case BoundedBody.Exceeded e when e.bound() == BoundedBody.Bound.SIZE -> throw tooLarge();
            case BoundedBody.Exceeded e -> throw volumes.quota().volumeExceeded(caller.teamId(), "this write");
            case BoundedBody.Unreadable e -> throw new Invalid(e.getMessage());
            case null, default -> {
            }
        }
        switch (failure) {
            case NoSuchFileException e -> throw e;
            case FileAlreadyExistsException e -> throw e;
            case DirectoryNotEmptyException e -> throw e;
            case NotDirectoryException e -> throw e;
            case AccessDeniedException e -> throw e;
            case VolumeFullException e -> {
                if (volumes.quota().limitBytes(caller.teamId(), QuotaDimension.VOLUME_STORAGE_GB).isPresent()) {
                    throw new QuotaExceeded("quota exceeded: " + QuotaDimension.VOLUME_STORAGE_GB.wire()
                            + ": the volume reached the team's limit");
                }
                throw new Unavailable("the node's volume storage is full; free space or try later");
            }
            case FileSystemException e -> throw new Invalid(path + ": " + (e.getReason() == null ? "refused by the file"
                    + " system" : e.getReason()));
            case IllegalArgumentException e -> throw new Invalid(e.getMessage());
            case FileTooLargeException e -> throw tooLarge();
            case IOException e -> throw e;
            default -> throw (RuntimeException) failure;
        }
    }

    private static TooLarge tooLarge() {
        return new TooLarge("file is too large: one write takes at most " + MAX_WRITE_BYTES + " bytes (100 MiB)");
    }

    static FileInfo info(VolumeEntry entry, boolean withTarget) {
        FileType type = switch (entry.kind()) {
            case DIRECTORY -> FileType.DIR;
            case SYMLINK -> FileType.SYMLINK;
            case FILE, OTHER -> FileType.FILE;
        };
        boolean link = entry.kind() == VolumeEntry.Kind.SYMLINK;
        return new FileInfo(entry.name(), entry.path(), type, entry.size(), String.format("%04o", entry.mode() & 07777),
                entry.modified(), link, link && withTarget ? entry.linkTarget() : null);
    }
}
