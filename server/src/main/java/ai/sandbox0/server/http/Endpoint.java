package ai.sandbox0.server.http;

/**
 * One API operation. It runs on its own virtual thread and may block; it must not return before it
 * has its answer. Failures are thrown ({@link ApiException} for the client's, anything else becomes
 * a 500 without details).
 */
@FunctionalInterface
public interface Endpoint {

    Reply handle(Call call) throws Exception;
}
