package ai.sandbox0.node.egress;

/**
 * What the proxy does with an allowed flow once it is classified. Today every flow is relayed untouched;
 * flows whose policy has protocol or credential rules for their destination will be inspected (TLS
 * terminated and re-originated, HTTP and MCP requests checked, credentials injected) by a handling added here.
 */
sealed interface FlowHandling {

    /** Bytes relayed both ways as they are. */
    record Passthrough() implements FlowHandling {
    }

    FlowHandling PASSTHROUGH = new Passthrough();

    static FlowHandling choose(EgressPolicy policy, Destination destination) {
        // The seam for inspection: protocolRules() and credentialRules() matching the destination pick it.
        return PASSTHROUGH;
    }
}
