package ai.sandbox0.server.http;

/** What an endpoint answers. The HTTP layer writes it; endpoints never touch the response. */
public sealed interface Reply {

    int status();

    /** {@code data} inside the success envelope. */
    record Json(int status, Object data) implements Reply {
    }

    /** A body that is not enveloped, such as Prometheus metrics or a raw file. */
    record Raw(int status, String contentType, byte[] body) implements Reply {
    }

    static Reply ok(Object data) {
        return new Json(200, data);
    }

    static Reply created(Object data) {
        return new Json(201, data);
    }
}
