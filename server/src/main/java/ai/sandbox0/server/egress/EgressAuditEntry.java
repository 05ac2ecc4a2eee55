package ai.sandbox0.server.egress;

import ai.sandbox0.node.egress.EgressRecord;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * One connection, or one request inside an inspected connection, in a sandbox's egress audit, as
 * {@code GET …/network/audit} shows it and the audit log keeps it (one JSON line each). Where it went and what
 * carried it, never what it carried.
 *
 * @param time       when it ended (at once for a refused connection), RFC 3339
 * @param kind       {@code connection} or {@code request}
 * @param host       the name the flow carried (TLS SNI, HTTP Host) or the sandbox last resolved for the address
 * @param decision   {@code allowed} or {@code denied}
 * @param reason     what decided: a traffic rule's name (or {@code trafficRules[i]}), a legacy field, the
 *                   mode, {@code platform}, {@code quota}, {@code sandbox removed}; for a request, the protocol
 *                   rule that denied it, or the credential failure that refused it
 * @param bytesOut   from the sandbox to the destination
 * @param bytesIn    from the destination to the sandbox
 * @param durationMs from its opening to its end
 * @param method     a request's HTTP method
 * @param path       a request's path, without its query
 * @param status     the HTTP status a request was answered with (0: none)
 * @param credentialRef the binding whose material a request was given
 * @param mcpTool    the tool an MCP {@code tools/call} named
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EgressAuditEntry(
        @JsonProperty("time") String time,
        @JsonProperty("kind") String kind,
        @JsonProperty("address") String address,
        @JsonProperty("port") int port,
        @JsonProperty("host") String host,
        @JsonProperty("app_protocol") String appProtocol,
        @JsonProperty("decision") String decision,
        @JsonProperty("reason") String reason,
        @JsonProperty("bytes_out") long bytesOut,
        @JsonProperty("bytes_in") long bytesIn,
        @JsonProperty("duration_ms") long durationMs,
        @JsonProperty("method") String method,
        @JsonProperty("path") String path,
        @JsonProperty("status") Integer status,
        @JsonProperty("credential_ref") String credentialRef,
        @JsonProperty("mcp_tool") String mcpTool) {

    public static final String ALLOWED = "allowed";
    public static final String DENIED = "denied";
    public static final String CONNECTION = "connection";
    public static final String REQUEST = "request";

    public EgressAuditEntry {
        if (kind == null) {
            kind = CONNECTION; // lines written before requests were audited
        }
    }

    static EgressAuditEntry of(EgressRecord r) {
        EgressRecord.Request q = r.request();
        return new EgressAuditEntry(r.closed().toString(), q == null ? CONNECTION : REQUEST,
                r.address() == null ? null : r.address().getHostAddress(), r.port(), r.host(),
                r.app() == null ? null : r.app().wire(), r.allowed() ? ALLOWED : DENIED, r.reason(),
                r.bytesOut(), r.bytesIn(), Math.max(0, Duration.between(r.opened(), r.closed()).toMillis()),
                q == null ? null : q.method(), q == null ? null : q.path(),
                q == null ? null : q.status(), q == null ? null : q.credentialRef(), q == null ? null : q.tool());
    }
}
