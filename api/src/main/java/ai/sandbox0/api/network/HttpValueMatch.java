package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/** Matches a header or query parameter. */
public record HttpValueMatch(
        String name,
        List<String> values,
        // With empty values: presence alone matches.
        Boolean present) {

    public HttpValueMatch {
        values = Copies.list(values);
    }
}
