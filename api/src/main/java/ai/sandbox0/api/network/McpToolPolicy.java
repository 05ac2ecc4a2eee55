package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/** MCP tool names for tools/call: denied first, then allowed. */
public record McpToolPolicy(
        List<String> allowed,
        List<String> denied) {

    public McpToolPolicy {
        allowed = Copies.list(allowed);
        denied = Copies.list(denied);
    }
}
