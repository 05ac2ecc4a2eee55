package ai.sandbox0.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.store.Database;
import ai.sandbox0.server.tenancy.ApiKey;
import ai.sandbox0.server.tenancy.ApiKeyScope;
import ai.sandbox0.server.tenancy.ApiKeyStore;
import ai.sandbox0.server.tenancy.ApiKeyToken;

/** A real server on a free loopback port over a data dir of the test's, plus a small HTTP client. */
public final class TestServer implements AutoCloseable {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private final Sandbox0Server server;
    private final Path dataDir;

    private TestServer(Sandbox0Server server, Path dataDir) {
        this.server = server;
        this.dataDir = dataDir;
    }

    private static final AtomicInteger NETWORKS = new AtomicInteger();

    /** A server without a sandbox runtime: sandbox routes answer 503. */
    public static TestServer start(Path dataDir) {
        return start(dataDir, ai.sandbox0.server.store.TestDatabases.Kind.SQLITE);
    }

    /** Like {@link #start(Path)}, its store of {@code kind} (PostgreSQL: a fresh database on the test server). */
    public static TestServer start(Path dataDir, ai.sandbox0.server.store.TestDatabases.Kind kind) {
        return start(dataDir, kind == ai.sandbox0.server.store.TestDatabases.Kind.POSTGRESQL
                ? ai.sandbox0.server.store.TestDatabases.newPostgresDatabase() : null);
    }

    /** Like {@link #start(Path)}, its store in PostgreSQL at {@code databaseUrl} (null: SQLite in the data dir). */
    public static TestServer start(Path dataDir, String databaseUrl) {
        return new TestServer(Sandbox0Server.start(ServerConfig.of(dataDir, new InetSocketAddress("127.0.0.1", 0),
                "local", ServerConfig.Sandboxes.defaults(null)).withDatabaseUrl(databaseUrl)), dataDir);
    }

    /**
     * A server running real sandboxes (root, runc and the procd jar packaged by the build). Each gets its
     * own sandbox network, so test servers never share addresses.
     */
    public static TestServer withSandboxes(Path dataDir) {
        return withSandboxes(dataDir, new BlobStorage.Local());
    }

    /** Like {@link #withSandboxes(Path)}, its layer blobs in {@code blobs}. */
    public static TestServer withSandboxes(Path dataDir, BlobStorage blobs) {
        Path procd = procdDir();
        var sandboxes = ServerConfig.Sandboxes.defaults(procd)
                .withAddressPool("10.91." + (NETWORKS.incrementAndGet() % 250) + ".0/24")
                .withDefaultTtl(java.time.Duration.ZERO);
        return new TestServer(Sandbox0Server.start(ServerConfig.of(dataDir, new InetSocketAddress("127.0.0.1", 0), "local",
                sandboxes).withBlobStorage(blobs)), dataDir);
    }

    /** Where the build packaged procd.jar; missing is a build problem, reported as such. */
    public static Path procdDir() {
        Path root = Path.of(System.getProperty("s0.root", Path.of("").toAbsolutePath().getParent().toString()));
        Path dir = root.resolve("procd").resolve(System.getProperty("s0.target", "target"));
        if (!Files.isRegularFile(dir.resolve("procd.jar"))) {
            throw new IllegalStateException(dir.resolve("procd.jar") + " is missing: sandbox tests need procd packaged"
                    + " first (./s0 test or ./mvnw verify does that)");
        }
        return dir;
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

    /** A JSON request with the admin key (or {@code key} when given). */
    public HttpResponse<String> json(String method, String path, String body) throws IOException, InterruptedException {
        return json(method, path, body, adminKey());
    }

    public HttpResponse<String> json(String method, String path, String body, String key) throws IOException, InterruptedException {
        var publisher = body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        return send(HttpRequest.newBuilder(uri(path)).method(method, publisher),
                "Authorization", "Bearer " + key, "Content-Type", "application/json");
    }

    /** Mints a team key with {@code roles} in the admin's team, straight through the store. */
    public String keyWithRoles(Role... roles) throws IOException {
        {
            Database database = server.database();
            var keys = new ApiKeyStore(database.jdbi());
            ApiKey admin = keys.findByDigest(ApiKeyToken.digest(adminKey())).orElseThrow();
            String token = ApiKeyToken.generate("local", new SecureRandom());
            Instant now = Instant.now();
            var key = new ApiKey(UUID.randomUUID().toString(), ApiKeyToken.displayPrefix(token), "test", admin.teamId(),
                    admin.userId(), admin.userId(), ApiKeyScope.TEAM, List.of(roles), true, now.plusSeconds(3600), null, 0,
                    now, now);
            database.jdbi().useTransaction(h -> keys.insert(h, key, ApiKeyToken.digest(token)));
            return token;
        }
    }

    /** Stops the server and removes every sandbox run it started from the host. */
    @Override
    public void close() {
        server.closeAndRemoveRuns();
    }
}
