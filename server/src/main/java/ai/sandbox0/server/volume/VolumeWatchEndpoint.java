package ai.sandbox0.server.volume;

import ai.sandbox0.node.volume.VolumeWatcher;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * {@code GET /api/v1/sandboxvolumes/{id}/files/watch} (spec §1.3): the volume file watch WebSocket. The
 * volume is looked up for the caller before the upgrade (another team's or a missing one is the lookup's
 * 404); its watches are this host's, kept by the node's {@link VolumeWatcher}.
 */
public final class VolumeWatchEndpoint {

    static final String PATH = "/api/v1/sandboxvolumes/{id}/files/watch";

    /** Finds a volume the caller may read; throws (a 404 for one it has not) when there is none. */
    @FunctionalInterface
    public interface Volumes {

        WatchedVolume find(Principal caller, String volumeId) throws IOException;
    }

    /** A volume to watch: its id (what {@link VolumeWatcher#invalidate} names) and its root on this host. */
    public record WatchedVolume(String id, Path root) {

        public WatchedVolume {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(root, "root");
        }
    }

    private final Volumes volumes;
    private final VolumeWatcher watcher;

    public VolumeWatchEndpoint(Volumes volumes, VolumeWatcher watcher) {
        this.volumes = volumes;
        this.watcher = watcher;
    }

    public List<Route> routes() {
        return List.of(Route.requires(Permission.SANDBOXVOLUMEFILE_READ, "GET", PATH, call -> {
            WatchedVolume volume = volumes.find(call.principal(), call.pathParam("id"));
            return new Reply.Upgrade((request, response, callback) -> new VolumeWatchSocket(watcher, volume));
        }));
    }
}
