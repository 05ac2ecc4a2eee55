package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import java.net.InetAddress;
import java.time.Instant;

/**
 * What the proxy saw of a sandbox's egress: one TCP connection ({@code request} null), or one request inside an
 * inspected connection. Where it went (address, port, the host name the flow or the sandbox's DNS answers gave,
 * the application protocol of its first bytes), the decision and what made it, and the bytes carried each way.
 * A connection refused at once has no bytes and {@code opened == closed}; one cut by a later policy change
 * carries the verdict that cut it.
 *
 * @param bytesOut from the sandbox to the destination
 * @param bytesIn  from the destination to the sandbox
 * @param request  the inspected request this record is about; null for a connection
 */
public record EgressRecord(String sandboxId, InetAddress address, int port, String host, TrafficRuleAppProtocol app,
        boolean allowed, String reason, long bytesOut, long bytesIn, Instant opened, Instant closed, Request request) {

    /** A connection's record. */
    public EgressRecord(String sandboxId, InetAddress address, int port, String host, TrafficRuleAppProtocol app,
            boolean allowed, String reason, long bytesOut, long bytesIn, Instant opened, Instant closed) {
        this(sandboxId, address, port, host, app, allowed, reason, bytesOut, bytesIn, opened, closed, null);
    }

    /**
     * An inspected request: what it asked for and how it was answered, never what it carried (no query string,
     * header or body; a credential only by its binding's ref).
     *
     * @param method        the HTTP method
     * @param path          the request path, without its query
     * @param status        the response status the sandbox got (the destination's, or the proxy's own 403/503);
     *                      0 when none was sent
     * @param credentialRef the binding whose material the request was given; null when none
     * @param tool          the MCP tool a {@code tools/call} named; null otherwise
     */
    public record Request(String method, String path, int status, String credentialRef, String tool) {
    }
}
