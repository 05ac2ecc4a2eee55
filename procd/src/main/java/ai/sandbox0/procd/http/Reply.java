package ai.sandbox0.procd.http;

/** What an RPC answers; streaming RPCs write the response themselves and answer {@link Sent}. */
public sealed interface Reply {

    /** {@code {"success":true,"data":…}} with {@code status}. */
    record Data(int status, Object data) implements Reply {
    }

    /** The response was already written (a raw file, an NDJSON stream). */
    record Sent() implements Reply {
    }

    static Reply ok(Object data) {
        return new Data(200, data);
    }

    static Reply created(Object data) {
        return new Data(201, data);
    }

    Reply SENT = new Sent();
}
