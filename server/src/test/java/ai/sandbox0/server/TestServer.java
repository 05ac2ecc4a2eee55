package ai.sandbox0.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/** A real server on a free loopback port over a data dir of the test's, plus a small HTTP client. */
public final class TestServer implements AutoCloseable {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private final Sandbox0Server server;
    private final Path dataDir;

    private TestServer(Sandbox0Server server, Path dataDir) {
        this.server = server;
        this.dataDir = dataDir;
    }

    public static TestServer start(Path dataDir) {
        return new TestServer(Sandbox0Server.start(
                ServerConfig.of(dataDir, new InetSocketAddress("127.0.0.1", 0), "local")), dataDir);
    }

    public Sandbox0Server server() {
        return server;
    }

    public String adminKey() throws IOException {
        return Files.readString(dataDir.resolve("admin-api-key")).strip();
    }

    public URI uri(String path) {
        return server.baseUri().resolve(path);
    }

    public HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET(), headers);
    }

    public HttpResponse<String> send(HttpRequest.Builder request, String... headers) throws IOException, InterruptedException {
        if (headers.length > 0) {
            request.headers(headers);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> authed(String path) throws IOException, InterruptedException {
        return get(path, "Authorization", "Bearer " + adminKey());
    }

    @Override
    public void close() {
        server.close();
    }
}
