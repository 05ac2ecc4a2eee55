package ai.sandbox0.server.volume;

import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.http.Call;

/** Boolean query parameters as upstream reads them ({@code strconv.ParseBool}); absent or empty is false. */
final class QueryFlags {

    private QueryFlags() {
    }

    static boolean bool(Call call, String name) {
        String value = call.query(name);
        if (value == null || value.isEmpty()) {
            return false;
        }
        return switch (value) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw new Invalid("invalid " + name + " parameter: must be true or false");
        };
    }
}
