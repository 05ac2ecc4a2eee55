package ai.sandbox0.procd.json;

/** A request body that is not the JSON an endpoint takes; the message names the field and what it expected. */
public final class JsonProblem extends RuntimeException {

    public JsonProblem(String message) {
        super(message, null, false, false);
    }
}
