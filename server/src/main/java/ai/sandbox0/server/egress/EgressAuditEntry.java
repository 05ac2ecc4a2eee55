package ai.sandbox0.server.egress;

import ai.sandbox0.node.egress.EgressRecord;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * One connection in a sandbox's egress audit, as {@code GET …/network/audit} shows it and the audit log keeps
 * it (one JSON line each). Where it went and what carried it, never what it carried.
 *
 * @param time       when the connection ended (at once for a refused one), RFC 3339
 * @param host       the name the flow carried (TLS SNI, HTTP Host) or the sandbox last resolved for the address
 * @param decision   {@code allowed} or {@code denied}
 * @param reason     what decided: a traffic rule's name (or {@code trafficRules[i]}), a legacy field, the
 *                   mode, {@code platform}, {@code quota}, {@code sandbox removed}
 * @param bytesOut   from the sandbox to the destination
 * @param bytesIn    from the destination to the sandbox
 * @param durationMs from its opening to its end
 */
public record EgressAuditEntry(
        @JsonProperty("time") String time,
        @JsonProperty("address") String address,
        @JsonProperty("port") int port,
        @JsonProperty("host") String host,
        @JsonProperty("app_protocol") String appProtocol,
        @JsonProperty("decision") String decision,
        @JsonProperty("reason") String reason,
        @JsonProperty("bytes_out") long bytesOut,
        @JsonProperty("bytes_in") long bytesIn,
        @JsonProperty("duration_ms") long durationMs) {

    public static final String ALLOWED = "allowed";
    public static final String DENIED = "denied";

    static EgressAuditEntry of(EgressRecord r) {
        return new EgressAuditEntry(r.closed().toString(), r.address() == null ? null : r.address().getHostAddress(),
                r.port(), r.host(), r.app() == null ? null : r.app().wire(), r.allowed() ? ALLOWED : DENIED, r.reason(),
                r.bytesOut(), r.bytesIn(), Math.max(0, Duration.between(r.opened(), r.closed()).toMillis()));
    }
}
