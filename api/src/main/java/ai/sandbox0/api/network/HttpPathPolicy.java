package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/** HTTP paths (exact or by prefix): denied first, then allowed lists. */
public record HttpPathPolicy(
        List<String> allowed,
        List<String> denied,
        List<String> allowedPrefixes,
        List<String> deniedPrefixes) {

    public HttpPathPolicy {
        allowed = Copies.list(allowed);
        denied = Copies.list(denied);
        allowedPrefixes = Copies.list(allowedPrefixes);
        deniedPrefixes = Copies.list(deniedPrefixes);
    }
}
