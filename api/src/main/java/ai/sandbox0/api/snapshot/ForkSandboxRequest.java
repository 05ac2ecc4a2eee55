package ai.sandbox0.api.snapshot;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/** The optional body of {@code POST /api/v1/sandboxes/{id}/fork}: an empty object. */
public record ForkSandboxRequest() {

    // The schema has additionalProperties:false and upstream answers {"foo":1} with a 400, so unlike every
    // other record this one fails the read on any member, naming it.
    @JsonCreator
    static ForkSandboxRequest fromJson(Map<String, JsonNode> members) {
        if (!members.isEmpty()) {
            throw new IllegalArgumentException("unknown field \"" + members.keySet().iterator().next() + "\"");
        }
        return new ForkSandboxRequest();
    }
}
