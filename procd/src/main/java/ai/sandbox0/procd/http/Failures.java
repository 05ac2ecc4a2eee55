package ai.sandbox0.procd.http;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.procd.Log;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.json.JsonProblem;
import ai.sandbox0.procd.json.ProcdJson;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/** The one place where failures become the upstream error envelope. */
final class Failures {

    private Failures() {
    }

    static void send(HttpExchange exchange, Throwable failure) throws IOException {
        ProcdException e = switch (failure) {
            case ProcdException p -> p;
            case JsonProblem j -> ProcdException.invalid(j.getMessage());
            default -> {
                Log.warn("internal error on " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath(),
                        failure);
                yield new ProcdException(ErrorCode.INTERNAL_ERROR, "internal error");
            }
        };
        byte[] body = ProcdJson.failure(e.code().wire(), e.getMessage());
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(e.status(), body.length);
        exchange.getResponseBody().write(body);
    }
}
