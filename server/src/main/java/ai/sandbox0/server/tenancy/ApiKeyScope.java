package ai.sandbox0.server.tenancy;

import java.util.Arrays;
import java.util.Optional;

/** Team keys act in their own team with their roles; platform keys act as a system admin. */
public enum ApiKeyScope {
    TEAM("team"),
    PLATFORM("platform");

    private final String wire;

    ApiKeyScope(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static Optional<ApiKeyScope> fromWire(String wire) {
        return Arrays.stream(values()).filter(s -> s.wire.equals(wire)).findFirst();
    }
}
