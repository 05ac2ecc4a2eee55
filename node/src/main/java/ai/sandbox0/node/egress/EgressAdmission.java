package ai.sandbox0.node.egress;

/**
 * Whether a sandbox may open another connection (its team's egress or ingress quota): when not, new
 * connections are refused and audited with reason {@code quota}; open ones carry on.
 */
@FunctionalInterface
public interface EgressAdmission {

    boolean mayOpen(String sandboxId);

    EgressAdmission ALWAYS = id -> true;
}
