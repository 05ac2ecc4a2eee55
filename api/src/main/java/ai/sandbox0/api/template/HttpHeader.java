package ai.sandbox0.api.template;

/** A header sent by an HTTP probe. */
public record HttpHeader(
        String name,
        String value) {
}
