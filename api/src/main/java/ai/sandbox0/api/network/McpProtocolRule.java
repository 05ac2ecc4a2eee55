package ai.sandbox0.api.network;

/** Model Context Protocol policy. */
public record McpProtocolRule(
        McpToolPolicy tools) {
}
