package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.common.Deleted;
import ai.sandbox0.api.common.Message;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.sandbox.ClaimRequest;
import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.sandbox.SandboxList;
import ai.sandbox0.api.sandbox.SandboxRefreshRequest;
import ai.sandbox0.api.sandbox.SandboxUpdateRequest;
import ai.sandbox0.api.snapshot.CreateSandboxRootfsSnapshotRequest;
import ai.sandbox0.api.snapshot.ForkSandboxRequest;
import ai.sandbox0.api.snapshot.RestoreSandboxRootfsRequest;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import java.util.List;

/** {@code /api/v1/sandboxes} and the rootfs snapshot routes (spec §2.4, §4): HTTP in, lifecycle calls out. */
public final class SandboxEndpoints {

    private static final String SANDBOX = "/api/v1/sandboxes/{id}";

    private final SandboxManager sandboxes;
    private final RootfsOperations rootfs;
    private final SandboxLogs logs;

    public SandboxEndpoints(SandboxManager sandboxes, RootfsOperations rootfs, SandboxLogs logs) {
        this.sandboxes = sandboxes;
        this.rootfs = rootfs;
        this.logs = logs;
    }

    public List<Route> routes() {
        return List.of(
                Route.requires(Permission.SANDBOX_CREATE, "POST", "/api/v1/sandboxes",
                        call -> Reply.created(sandboxes.claim(call.principal(), call.optionalBody(ClaimRequest.class)))),
                Route.requires(Permission.SANDBOX_READ, "GET", "/api/v1/sandboxes", this::list),
                Route.requires(Permission.SANDBOX_READ, "GET", SANDBOX,
                        call -> Reply.ok(sandboxes.detail(sandboxes.visible(call.principal(), id(call))))),
                Route.requires(Permission.SANDBOX_READ, "GET", SANDBOX + "/status",
                        call -> Reply.ok(SandboxViews.status(sandboxes.visible(call.principal(), id(call))))),
                Route.requires(Permission.SANDBOX_READ, "GET", SANDBOX + "/logs", call -> logs.logs(call)),
                Route.requires(Permission.SANDBOX_WRITE, "PUT", SANDBOX, call -> {
                    SandboxUpdateRequest request = call.optionalBody(SandboxUpdateRequest.class);
                    return Reply.ok(sandboxes.detail(sandboxes.update(call.principal(), id(call),
                            request == null ? null : request.config())));
                }),
                Route.requires(Permission.SANDBOX_READ, "GET", SANDBOX + "/network",
                        call -> Reply.ok(sandboxes.network(call.principal(), id(call)))),
                Route.requires(Permission.SANDBOX_WRITE, "PUT", SANDBOX + "/network", call -> Reply.ok(
                        sandboxes.updateNetwork(call.principal(), id(call), call.optionalBody(SandboxNetworkPolicy.class)))),
                Route.requires(Permission.SANDBOX_WRITE, "POST", SANDBOX + "/refresh", call -> Reply.ok(
                        sandboxes.refresh(call.principal(), id(call), call.optionalBody(SandboxRefreshRequest.class)))),
                Route.requires(Permission.SANDBOX_DELETE, "DELETE", SANDBOX, call -> {
                    sandboxes.delete(call.principal(), id(call));
                    return Reply.ok(new Message("sandbox terminated successfully"));
                }),
                Route.requires(Permission.SANDBOX_WRITE, "POST", SANDBOX + "/pause",
                        call -> Reply.ok(sandboxes.pause(call.principal(), id(call)))),
                Route.requires(Permission.SANDBOX_WRITE, "POST", SANDBOX + "/resume",
                        call -> Reply.ok(sandboxes.resume(call.principal(), id(call)))),
                // rootfs snapshots, restore and fork (§4)
                Route.requires(Permission.SANDBOX_WRITE, "POST", SANDBOX + "/snapshots", call -> Reply.created(
                        rootfs.snapshot(call.principal(), id(call), call.optionalBody(CreateSandboxRootfsSnapshotRequest.class)))),
                Route.requires(Permission.SANDBOX_READ, "GET", SANDBOX + "/snapshots",
                        call -> Reply.ok(rootfs.list(call.principal(), id(call)))),
                Route.requires(Permission.SANDBOX_READ, "GET", "/api/v1/sandbox-rootfs-snapshots/{sid}",
                        call -> Reply.ok(rootfs.get(call.principal(), call.pathParam("sid")))),
                Route.requires(Permission.SANDBOX_WRITE, "DELETE", "/api/v1/sandbox-rootfs-snapshots/{sid}", call -> {
                    rootfs.delete(call.principal(), call.pathParam("sid"));
                    return Reply.ok(new Deleted(true));
                }),
                Route.requires(Permission.SANDBOX_WRITE, "POST", SANDBOX + "/rootfs/restore", call -> {
                    RestoreSandboxRootfsRequest request = call.optionalBody(RestoreSandboxRootfsRequest.class);
                    return Reply.ok(rootfs.restore(call.principal(), id(call), request == null ? null : request.snapshotId()));
                }),
                Route.requires(Permission.SANDBOX_CREATE, "POST", SANDBOX + "/fork", call -> {
                    call.optionalBody(ForkSandboxRequest.class); // refuses any member, as upstream
                    return Reply.created(rootfs.fork(call.principal(), id(call)));
                }));
    }

    private Reply list(Call call) {
        SandboxLifecycleStatus status = null;
        if (call.query("status") != null) {
            status = SandboxLifecycleStatus.fromWire(call.query("status"))
                    .orElseThrow(() -> ApiException.badRequest("invalid status parameter"));
        }
        Boolean paused = null;
        if (call.query("paused") != null) {
            paused = switch (call.query("paused")) {
                case "true" -> true;
                case "false" -> false;
                default -> throw ApiException.badRequest("invalid paused parameter");
            };
        }
        int limit = intParameter(call, "limit", 50);
        if (limit < 1 || limit > 200) {
            throw ApiException.badRequest("invalid limit parameter: must be between 1 and 200");
        }
        int offset = intParameter(call, "offset", 0);
        if (offset < 0) {
            throw ApiException.badRequest("invalid offset parameter: must be >= 0");
        }
        String templateId = call.query("template_id");
        SandboxStore.Page page = sandboxes.list(call.principal(), status, templateId == null || templateId.isBlank() ? null
                : templateId, paused, limit, offset);
        return Reply.ok(new SandboxList(page.items().stream().map(SandboxViews::summary).toList(), page.total(),
                offset + page.items().size() < page.total()));
    }

    private static int intParameter(Call call, String name, int fallback) {
        String value = call.query(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid " + name + " parameter: must be an integer");
        }
    }

    private static String id(Call call) {
        return call.pathParam("id");
    }
}
