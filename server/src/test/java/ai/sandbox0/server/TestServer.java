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
    /** Whether this server shares its extracted layers and procd install through {@link SandboxHostSeed}. */
    private final boolean seeded;

    private TestServer(Sandbox0Server server, Path dataDir) {
        this(server, dataDir, false);
    }

    private TestServer(Sandbox0Server server, Path dataDir, boolean seeded) {
        this.server = server;
        this.dataDir = dataDir;
        this.seeded = seeded;
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
        return start(dataDir, databaseUrl, config -> config);
    }

    /** Like {@link #start(Path, String)}, with settings changed by {@code configure}. */
    public static TestServer start(Path dataDir, String databaseUrl, java.util.function.UnaryOperator<ServerConfig> configure) {
        return new TestServer(Sandbox0Server.start(configure.apply(ServerConfig.of(dataDir,
                new InetSocketAddress("127.0.0.1", 0), "local", ServerConfig.Sandboxes.defaults(null))
                .withDatabaseUrl(databaseUrl))), dataDir);
    }

    /** The store URL of a fresh database of {@code kind} (null for SQLite). */
    public static String storeOf(ai.sandbox0.server.store.TestDatabases.Kind kind) {
        return kind == ai.sandbox0.server.store.TestDatabases.Kind.POSTGRESQL
                ? ai.sandbox0.server.store.TestDatabases.newPostgresDatabase() : null;
    }

    /** The first admin's generated password, from the data dir. */
    public String adminPassword() throws IOException {
        return Files.readString(dataDir.resolve("admin-password")).strip();
    }

    /** A user who can log in with {@code password}, member of no team, created straight in the store. */
    public String createUser(String email, String password) {
        var now = Instant.now();
        String id = UUID.randomUUID().toString();
        String hash = new ai.sandbox0.server.identity.PasswordHasher(1024, 1, 1, new SecureRandom()).hash(password);
        var users = new ai.sandbox0.server.identity.UserStore(server.database().jdbi());
        server.database().jdbi().useTransaction(h -> users.insert(h, new ai.sandbox0.server.identity.UserAccount(id,
                email, email.substring(0, email.indexOf('@')), null, false, false, hash, now, now)));
        return id;
    }

    /** Logs in and returns the access token. */
    public String login(String email, String password) throws Exception {
        var response = send(HttpRequest.newBuilder(uri("/auth/login"))
                .POST(HttpRequest.BodyPublishers.ofString(ai.sandbox0.api.Json.mapper().writeValueAsString(
                        java.util.Map.of("email", email, "password", password))))
                .header("Content-Type", "application/json"));
        if (response.statusCode() != 200) {
            throw new IllegalStateException("login of " + email + " failed: " + response.body());
        }
        return ai.sandbox0.api.Json.mapper().readTree(response.body()).get("data").get("access_token").asText();
    }

    /** Runs a statement on the server's store, as an operator with database access would. */
    public int execute(String sql) {
        return server.database().jdbi().withHandle(h -> h.createUpdate(sql).execute());
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Until {@code path} is gone: a deleted sandbox's teardown finishes in the background, within seconds. */
    public static void awaitGone(Path path) throws InterruptedException {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (Files.exists(path)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(path + " is still there 30 s after its sandbox was deleted");
            }
            Thread.sleep(20);
        }
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
        return withSandboxes(dataDir, blobs, null);
    }

    /** Production mode: layer blobs in {@code blobs}, the store in PostgreSQL at {@code databaseUrl} (null: SQLite). */
    public static TestServer withSandboxes(Path dataDir, BlobStorage blobs, String databaseUrl) {
        return withSandboxes(dataDir, blobs, databaseUrl, java.util.function.UnaryOperator.identity());
    }

    /** Like {@link #withSandboxes(Path)}, with the sandbox settings changed by {@code tune}. */
    public static TestServer withSandboxes(Path dataDir, java.util.function.UnaryOperator<ServerConfig.Sandboxes> tune) {
        return withSandboxes(dataDir, new BlobStorage.Local(), null, tune);
    }

    private static TestServer withSandboxes(Path dataDir, BlobStorage blobs, String databaseUrl,
            java.util.function.UnaryOperator<ServerConfig.Sandboxes> tune) {
        Path procd = procdDir();
        var sandboxes = tune.apply(ServerConfig.Sandboxes.defaults(procd)
                .withAddressPool("10.91." + (NETWORKS.incrementAndGet() % 250) + ".0/24")
                .withDefaultTtl(java.time.Duration.ZERO));
        // Suites on remote blobs keep fetching and extracting every layer themselves: that is what they test.
        boolean seeded = blobs instanceof BlobStorage.Local;
        if (seeded) {
            SandboxHostSeed.plant(dataDir);
        }
        return new TestServer(Sandbox0Server.start(ServerConfig.of(dataDir, new InetSocketAddress("127.0.0.1", 0), "local",
                sandboxes).withBlobStorage(blobs).withDatabaseUrl(databaseUrl)), dataDir, seeded);
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

    /** The server's store, for tests that set up or check state behind the API. */
    public org.jdbi.v3.core.Jdbi jdbi() {
        return server.database().jdbi();
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
        return keyFor(adminUserId(), roles);
    }

    /** Like {@link #keyWithRoles}, acting for {@code userId} (null: a key that acts for no user). */
    public String keyFor(String userId, Role... roles) throws IOException {
        ApiKey admin = new ApiKeyStore(server.database().jdbi()).findByDigest(ApiKeyToken.digest(adminKey())).orElseThrow();
        return mintKey(admin.teamId(), userId, admin.userId(), ApiKeyScope.TEAM, List.of(roles), true,
                Instant.now().plusSeconds(3600));
    }

    /** The user the admin key acts for. */
    public String adminUserId() throws IOException {
        return new ApiKeyStore(server.database().jdbi()).findByDigest(ApiKeyToken.digest(adminKey())).orElseThrow()
                .userId();
    }

    /** A new user (in no team), straight through the store; its id. */
    public String createUser(String email) {
        String id = UUID.randomUUID().toString();
        long now = System.currentTimeMillis();
        server.database().jdbi().useHandle(h -> h.createUpdate("INSERT INTO users (id, email, name, is_admin,"
                        + " created_at, updated_at) VALUES (:id, :email, :email, FALSE, :now, :now)")
                .bind("id", id).bind("email", email).bind("now", now).execute());
        return id;
    }

    /** Mints any key straight through the store: expired, deactivated, platform, another team's. */
    public String mintKey(String teamId, String userId, String createdBy, ApiKeyScope scope, List<Role> roles,
            boolean active, Instant expiresAt) {
        Database database = server.database();
        var keys = new ApiKeyStore(database.jdbi());
        String token = ApiKeyToken.generate("local", new SecureRandom());
        Instant now = Instant.now();
        var key = new ApiKey(UUID.randomUUID().toString(), ApiKeyToken.displayPrefix(token), "test", teamId, userId,
                createdBy, scope, roles, active, expiresAt, null, 0, now, now);
        database.jdbi().useTransaction(h -> keys.insert(h, key, ApiKeyToken.digest(token)));
        return token;
    }

    /** The team the admin key belongs to. */
    public String adminTeamId() throws IOException {
        return new ApiKeyStore(server.database().jdbi()).findByDigest(ApiKeyToken.digest(adminKey())).orElseThrow()
                .teamId();
    }

    /**
     * A ready volume of {@code teamId} whose root belongs to {@code uid}:{@code gid}, made behind the API (its
     * record and its subvolume) as the volume service would.
     */
    public String createVolume(String teamId, ai.sandbox0.api.volume.VolumeAccessMode mode, long uid, long gid)
            throws IOException {
        var pool = server.volumePool();
        if (pool == null) {
            throw new IllegalStateException("the server has no volume pool (is btrfs available on this host?)");
        }
        String id = UUID.randomUUID().toString();
        Instant now = Instant.now();
        pool.create(id, uid, gid);
        new ai.sandbox0.server.volume.VolumeStore(server.database().jdbi()).insert(new ai.sandbox0.server.volume.VolumeRecord(
                id, teamId, null, null, uid, gid, mode, ai.sandbox0.server.volume.VolumeRecord.State.READY, 0, now, now));
        return id;
    }

    /** Where the volume's files are on the host. */
    public Path volumeDir(String volumeId) {
        return server.volumePool().root(volumeId);
    }

    /**
     * Stops this server the way an operator's restart does (its sandboxes keep running) and starts another on the
     * same data dir, store and sandbox network, which adopts them.
     */
    public TestServer restarted() {
        server.close();
        return new TestServer(Sandbox0Server.start(server.config()), dataDir, seeded);
    }

    /** Stops the server and removes every sandbox run it started from the host. */
    @Override
    public void close() {
        server.closeAndRemoveRuns();
        if (seeded) {
            SandboxHostSeed.harvest(dataDir);
        }
    }
}
