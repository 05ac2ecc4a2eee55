package ai.sandbox0.server.procd;

import ai.sandbox0.server.http.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP to the procd of a sandbox. Bodies pass through as streams both ways; a procd that cannot be
 * reached is the client's 503, never a 500.
 */
public final class ProcdClient implements AutoCloseable {

    /** Longer than procd's own 30 s exec cap, so procd's 408 is what the caller sees. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(120);
    private static final Logger LOG = LoggerFactory.getLogger(ProcdClient.class);

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .executor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("procd-client-", 0).factory()))
            .build();

    /** A call whose answer is a whole response (with a timeout); the body is streamed to the caller. */
    public HttpResponse<InputStream> call(ProcdEndpoint procd, String method, String pathAndQuery,
            Map<String, String> headers, InputStream body, long length) {
        return send(procd, request(procd, method, pathAndQuery, headers, body, length).timeout(CALL_TIMEOUT));
    }

    /** Like {@link #call}, answered within {@code timeout} (else a 504 {@code ApiException}). */
    public HttpResponse<InputStream> call(ProcdEndpoint procd, String method, String pathAndQuery,
            Map<String, String> headers, InputStream body, long length, Duration timeout) {
        return send(procd, request(procd, method, pathAndQuery, headers, body, length).timeout(timeout));
    }

    /** A long-lived stream (NDJSON): no timeout; closing the body ends it. */
    public HttpResponse<InputStream> stream(ProcdEndpoint procd, String pathAndQuery) {
        return send(procd, request(procd, "GET", pathAndQuery, Map.of(), null, 0));
    }

    private static HttpRequest.Builder request(ProcdEndpoint procd, String method, String pathAndQuery,
            Map<String, String> headers, InputStream body, long length) {
        var builder = HttpRequest.newBuilder(procd.resolve(pathAndQuery))
                .header("Authorization", "Bearer " + procd.token());
        headers.forEach(builder::header);
        HttpRequest.BodyPublisher publisher;
        if (body == null || length == 0) {
            publisher = HttpRequest.BodyPublishers.noBody();
        } else if (length > 0) {
            publisher = HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body), length);
        } else {
            publisher = HttpRequest.BodyPublishers.ofInputStream(() -> body);
        }
        return builder.method(method, publisher);
    }

    private HttpResponse<InputStream> send(ProcdEndpoint procd, HttpRequest.Builder request) {
        try {
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() == 401) {
                // Never the caller's fault: the gateway sent this procd's own token, so another agent answered
                // at its address. Relaying the 401 would tell the client its API key is wrong.
                response.body().close();
                LOG.error("the sandbox agent at {} refused the gateway's token: another agent answers at that address",
                        procd.base());
                throw ApiException.unavailable("the sandbox agent did not accept the gateway's credentials; try again");
            }
            return response;
        } catch (ConnectException e) {
            throw ApiException.unavailable("sandbox agent is not reachable");
        } catch (HttpTimeoutException e) {
            throw new ApiException(ai.sandbox0.api.ErrorCode.INTERNAL_ERROR, 504, "sandbox agent did not answer in time", null);
        } catch (IOException e) {
            throw ApiException.unavailable("sandbox agent connection failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("interrupted while calling the sandbox agent");
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
