package ai.sandbox0.server.volume;

import ai.sandbox0.api.common.Created;
import ai.sandbox0.api.common.Deleted;
import ai.sandbox0.api.common.Moved;
import ai.sandbox0.api.common.Written;
import ai.sandbox0.api.file.MoveFileRequest;
import ai.sandbox0.api.volume.VolumeFileArchiveImportResponse;
import ai.sandbox0.node.volume.ArchiveCounts;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code /api/v1/sandboxvolumes/{id}/files…} (spec §1.3): reads, writes and tar imports stream between the
 * client and the volume, never held whole in memory.
 */
public final class VolumeFileEndpoints {

    private static final String FILES = VolumeEndpoints.VOLUME + "/files";

    private final VolumeFileOperations files;

    public VolumeFileEndpoints(VolumeFileOperations files) {
        this.files = files;
    }

    public List<Route> routes() {
        return List.of(
                Route.requires(Permission.SANDBOXVOLUMEFILE_READ, "GET", FILES, this::read),
                Route.requires(Permission.SANDBOXVOLUMEFILE_WRITE, "POST", FILES, this::writeOrMkdir),
                Route.requires(Permission.SANDBOXVOLUMEFILE_WRITE, "DELETE", FILES, call -> {
                    files.delete(call.principal(), id(call), call.query("path"));
                    return Reply.ok(new Deleted(true));
                }),
                Route.requires(Permission.SANDBOXVOLUMEFILE_READ, "GET", FILES + "/stat",
                        call -> Reply.ok(files.stat(call.principal(), id(call), call.query("path")))),
                Route.requires(Permission.SANDBOXVOLUMEFILE_READ, "GET", FILES + "/list",
                        call -> Reply.ok(files.list(call.principal(), id(call), call.query("path")))),
                Route.requires(Permission.SANDBOXVOLUMEFILE_WRITE, "POST", FILES + "/move", call -> {
                    MoveFileRequest move = call.body(MoveFileRequest.class);
                    files.move(call.principal(), id(call), move.source(), move.destination());
                    return Reply.ok(new Moved(true));
                }),
                Route.requires(Permission.SANDBOXVOLUMEFILE_WRITE, "PUT", FILES + "/archive", call -> {
                    ArchiveCounts counts = files.importArchive(call.principal(), id(call), call.query("path"),
                            call.bodyStream(), call.contentLength());
                    return Reply.ok(new VolumeFileArchiveImportResponse(counts.files(), counts.directories(),
                            counts.symlinks(), counts.bytes()));
                }));
    }

    /** Raw bytes, or the base64 JSON envelope when Accept or Content-Type asks for JSON (as upstream). */
    private Reply read(Call call) throws Exception {
        VolumeFileOperations.FileRead read = files.read(call.principal(), id(call), call.query("path"));
        if (wantsJson(call.header("Accept")) || wantsJson(call.header("Content-Type"))) {
            return new Reply.Stream(200, "application/json", Map.of(), new FileContentStream(read.body()));
        }
        return new Reply.Stream(200, "application/octet-stream", Map.of("Content-Length", Long.toString(read.size())),
                read.body());
    }

    private Reply writeOrMkdir(Call call) throws Exception {
        if (QueryFlags.bool(call, "mkdir")) {
            files.mkdir(call.principal(), id(call), call.query("path"), QueryFlags.bool(call, "recursive"));
            return Reply.created(new Created(true));
        }
        files.write(call.principal(), id(call), call.query("path"), call.bodyStream(), call.contentLength());
        return Reply.ok(new Written(true));
    }

    private static boolean wantsJson(String header) {
        return header != null && header.toLowerCase(Locale.ROOT).contains("application/json");
    }

    private static String id(Call call) {
        return call.pathParam("id");
    }
}
