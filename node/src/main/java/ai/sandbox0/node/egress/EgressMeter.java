package ai.sandbox0.node.egress;

/**
 * Counts a sandbox's egress and ingress bytes as they flow (the quota dimensions {@code egress} and
 * {@code ingress}). Called once per read burst, not per byte, on a network thread: be quick.
 */
@FunctionalInterface
public interface EgressMeter {

    /** @param out bytes the sandbox sent; {@code in} bytes it received */
    void add(String sandboxId, long out, long in);

    EgressMeter NONE = (id, out, in) -> { };
}
