package ai.sandbox0.node.egress;

/**
 * A decision on a flow and what made it: a traffic rule's name (or {@code trafficRules[i]}), a legacy field,
 * the policy's mode, or {@code platform} for what no policy can allow.
 */
public record Verdict(boolean allowed, String reason) {

    static Verdict allow(String reason) {
        return new Verdict(true, reason);
    }

    static Verdict deny(String reason) {
        return new Verdict(false, reason);
    }
}
