package ai.sandbox0.api.credential;

import ai.sandbox0.api.Copies;
import java.util.Map;

/** Key/value secrets that header templates render from. */
public record StaticHeadersSourceSpec(
        Map<String, String> values) {

    public StaticHeadersSourceSpec {
        values = Copies.map(values);
    }

    // Secrets stay out of logs and error messages: only the keys are shown.
    @Override
    public String toString() {
        return "StaticHeadersSourceSpec[values=" + (values == null ? null : values.keySet()) + "]";
    }
}
