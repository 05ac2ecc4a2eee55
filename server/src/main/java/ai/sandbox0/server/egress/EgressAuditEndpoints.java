package ai.sandbox0.server.egress;

import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import ai.sandbox0.server.sandbox.SandboxManager;
import ai.sandbox0.server.sandbox.SandboxRecord;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.util.List;
import java.util.function.Predicate;

/**
 * {@code GET /api/v1/sandboxes/{id}/network/audit} (an extension: upstream has no audit API): the sandbox's
 * egress connections and inspected requests, newest first, {@code limit} of them (1 to 1000, default 100),
 * optionally only those with {@code decision} {@code allowed} or {@code denied}, or of one {@code kind}
 * ({@code connection} or {@code request}). The sandbox rules of every read apply: another team's
 * sandbox is 403, an unknown one 404.
 */
public final class EgressAuditEndpoints {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    /** The {@code data} of the answer. */
    public record Page(@JsonProperty("records") List<EgressAuditEntry> records) {
    }

    private final SandboxManager sandboxes;
    private final EgressAuditLog log;

    public EgressAuditEndpoints(SandboxManager sandboxes, EgressAuditLog log) {
        this.sandboxes = sandboxes;
        this.log = log;
    }

    public List<Route> routes() {
        return List.of(Route.requires(Permission.SANDBOX_READ, "GET", "/api/v1/sandboxes/{id}/network/audit", this::audit));
    }

    private Reply audit(Call call) {
        int limit = limit(call.query("limit"));
        Predicate<EgressAuditEntry> filter = decision(call.query("decision")).and(kind(call.query("kind")));
        SandboxRecord sandbox = sandboxes.visible(call.principal(), call.pathParam("id"));
        try {
            return Reply.ok(new Page(log.newest(sandbox.id(), limit, filter)));
        } catch (IOException e) {
            throw ApiException.unavailable("the sandbox's egress audit is not readable: " + e.getMessage());
        }
    }

    private static int limit(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(value.strip());
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("invalid limit parameter: must be an integer between 1 and " + MAX_LIMIT);
    }

    private static Predicate<EgressAuditEntry> kind(String value) {
        if (value == null || value.isBlank()) {
            return e -> true;
        }
        return switch (value.strip()) {
            case EgressAuditEntry.CONNECTION -> e -> e.kind().equals(EgressAuditEntry.CONNECTION);
            case EgressAuditEntry.REQUEST -> e -> e.kind().equals(EgressAuditEntry.REQUEST);
            default -> throw ApiException.badRequest("invalid kind parameter: connection or request");
        };
    }

    private static Predicate<EgressAuditEntry> decision(String value) {
        if (value == null || value.isBlank()) {
            return e -> true;
        }
        return switch (value.strip()) {
            case EgressAuditEntry.ALLOWED -> e -> e.decision().equals(EgressAuditEntry.ALLOWED);
            case EgressAuditEntry.DENIED -> e -> e.decision().equals(EgressAuditEntry.DENIED);
            default -> throw ApiException.badRequest("invalid decision parameter: allowed or denied");
        };
    }
}
