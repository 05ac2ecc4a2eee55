package ai.sandbox0.node.egress;

/** Where the proxy reports each connection once it has ended (or was refused). Called on a network thread: be quick. */
@FunctionalInterface
public interface EgressAudit {

    void record(EgressRecord record);

    EgressAudit NONE = r -> { };
}
