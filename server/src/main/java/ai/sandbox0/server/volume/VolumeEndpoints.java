package ai.sandbox0.server.volume;

import ai.sandbox0.api.common.Deleted;
import ai.sandbox0.api.volume.CreateSandboxVolumeRequest;
import ai.sandbox0.api.volume.CreateSnapshotRequest;
import ai.sandbox0.api.volume.ForkVolumeRequest;
import ai.sandbox0.api.volume.SnapshotRestoreResult;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Route;
import ai.sandbox0.server.http.Reply;
import java.util.List;

/** {@code /api/v1/sandboxvolumes}: volumes, fork, snapshots and restore (spec §1.2, §3): HTTP in, volume calls out. */
public final class VolumeEndpoints {

    static final String VOLUMES = "/api/v1/sandboxvolumes";
    static final String VOLUME = VOLUMES + "/{id}";
    private static final String SNAPSHOT = VOLUME + "/snapshots/{sid}";

    private final VolumeService volumes;

    public VolumeEndpoints(VolumeService volumes) {
        this.volumes = volumes;
    }

    public List<Route> routes() {
        return List.of(
                Route.requires(Permission.SANDBOXVOLUME_CREATE, "POST", VOLUMES, call -> Reply.created(
                        volumes.create(call.principal(), call.body(CreateSandboxVolumeRequest.class)))),
                Route.requires(Permission.SANDBOXVOLUME_READ, "GET", VOLUMES,
                        call -> Reply.ok(volumes.list(call.principal()))),
                Route.requires(Permission.SANDBOXVOLUME_READ, "GET", VOLUME,
                        call -> Reply.ok(volumes.get(call.principal(), id(call)))),
                Route.requires(Permission.SANDBOXVOLUME_DELETE, "DELETE", VOLUME, call -> {
                    volumes.delete(call.principal(), id(call), QueryFlags.bool(call, "force"));
                    return Reply.ok(new Deleted(true));
                }),
                Route.requires(Permission.SANDBOXVOLUME_WRITE, "POST", VOLUME + "/fork", call -> Reply.created(
                        volumes.fork(call.principal(), id(call), call.optionalBody(ForkVolumeRequest.class)))),
                Route.requires(Permission.SANDBOXVOLUME_WRITE, "POST", VOLUME + "/snapshots", call -> Reply.created(
                        volumes.createSnapshot(call.principal(), id(call), call.body(CreateSnapshotRequest.class)))),
                Route.requires(Permission.SANDBOXVOLUME_READ, "GET", VOLUME + "/snapshots",
                        call -> Reply.ok(volumes.snapshots(call.principal(), id(call)))),
                Route.requires(Permission.SANDBOXVOLUME_READ, "GET", SNAPSHOT,
                        call -> Reply.ok(volumes.snapshot(call.principal(), id(call), call.pathParam("sid")))),
                Route.requires(Permission.SANDBOXVOLUME_DELETE, "DELETE", SNAPSHOT, call -> {
                    volumes.deleteSnapshot(call.principal(), id(call), call.pathParam("sid"));
                    return Reply.ok(new Deleted(true));
                }),
                Route.requires(Permission.SANDBOXVOLUME_WRITE, "POST", SNAPSHOT + "/restore", call -> {
                    volumes.restore(call.principal(), id(call), call.pathParam("sid"));
                    return Reply.ok(new SnapshotRestoreResult("restored"));
                }));
    }

    private static String id(Call call) {
        return call.pathParam("id");
    }
}
