package ai.sandbox0.node.pool;

import ai.sandbox0.node.Sandbox;

/** A claimed sandbox, and whether it came ready from the pool or was started for this claim. */
public sealed interface Claim {

    Sandbox sandbox();

    record Warm(Sandbox sandbox) implements Claim {
    }

    record Cold(Sandbox sandbox) implements Claim {
    }
}
