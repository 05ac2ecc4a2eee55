package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/** HTTP methods: denied first, then a non-empty allowed list admits only its members. */
public record HttpMethodPolicy(
        List<String> allowed,
        List<String> denied) {

    public HttpMethodPolicy {
        allowed = Copies.list(allowed);
        denied = Copies.list(denied);
    }
}
