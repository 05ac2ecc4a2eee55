package ai.sandbox0.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The upstream response envelope: {@code {"success":true,"data":…}} or
 * {@code {"success":false,"error":{"code","message","details?"}}}. {@code data} is omitted when null.
 */
@JsonPropertyOrder({"success", "data", "error"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Envelope<T>(boolean success, T data, ErrorBody error) {

    public static <T> Envelope<T> ok(T data) {
        return new Envelope<>(true, data, null);
    }

    public static Envelope<Void> failure(String code, String message, Object details) {
        return new Envelope<>(false, null, new ErrorBody(code, message, details));
    }

    /** The {@code error} member of a failure envelope. */
    @JsonPropertyOrder({"code", "message", "details"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ErrorBody(String code, String message, Object details) {
    }
}
