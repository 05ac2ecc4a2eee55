package ai.sandbox0.server;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;

/** Reading the API's envelope in tests: the {@code data} of a success, the {@code error} of a failure. */
public final class ApiReplies {

    private ApiReplies() {
    }

    public static JsonNode data(HttpResponse<String> response) throws Exception {
        return Json.mapper().readTree(response.body()).get("data");
    }

    /** The {@code data} of a reply that must have {@code status}. */
    public static JsonNode ok(HttpResponse<String> response, int status) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return data(response);
    }

    /** A failure with {@code status}, upstream's {@code code} and a message containing {@code message}. */
    public static void assertError(HttpResponse<String> response, int status, String code, String message) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode error = Json.mapper().readTree(response.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).contains(message);
    }
}
