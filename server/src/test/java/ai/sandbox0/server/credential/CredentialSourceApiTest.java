package ai.sandbox0.server.credential;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.store.TestDatabases;
import ai.sandbox0.server.tenancy.ApiKeyScope;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code /api/v1/credential-sources} over HTTP, on both stores (spec §7.1, scenarios 37 and 38). */
@ParameterizedClass
@EnumSource(TestDatabases.Kind.class)
class CredentialSourceApiTest {

    private static final String SOURCES = "/api/v1/credential-sources";
    /** Secret values the tests write; none may come back in any answer or sit in the store in clear. */
    private static final String TOKEN = "tok-9f3c2a7e51d04b6e";
    private static final String PASSWORD = "pw-4b1e8d2f9a7c";
    private static final String PASSPHRASE = "phrase-6d2a9c41";

    @Parameter
    TestDatabases.Kind storeKind;

    @TempDir
    Path dataDir;

    @TempDir
    Path fixtureDir;

    private TestServer server;
    private CredentialFixtures fixtures;
    /** Every answer the test got, to look for secrets in. */
    private final List<String> answers = new ArrayList<>();
    private final List<String> secrets = new ArrayList<>(List.of(TOKEN, PASSWORD, PASSPHRASE));

    @BeforeEach
    void start() {
        server = TestServer.start(dataDir, storeKind);
        fixtures = new CredentialFixtures(fixtureDir);
    }

    @AfterEach
    void stop() {
        try {
            for (String answer : answers) {
                for (String secret : secrets) {
                    assertThat(answer).as("an answer carries a secret").doesNotContain(secret);
                }
            }
        } finally {
            server.close();
        }
    }

    private HttpResponse<String> call(String method, String path, Object body) throws Exception {
        return call(method, path, body, server.adminKey());
    }

    private HttpResponse<String> call(String method, String path, Object body, String key) throws Exception {
        String json = body == null ? null : body instanceof String s ? s : Json.mapper().writeValueAsString(body);
        HttpResponse<String> response = server.json(method, path, json, key);
        answers.add(response.body());
        return response;
    }

    private static Map<String, Object> headers(String name, Map<String, String> values) {
        return Map.of("name", name, "resolverKind", "static_headers", "spec", Map.of("staticHeaders",
                Map.of("values", values)));
    }

    private static Map<String, Object> userPass(String name, String user, String password) {
        return Map.of("name", name, "resolverKind", "static_username_password", "spec",
                Map.of("staticUsernamePassword", Map.of("username", user, "password", password)));
    }

    @Test
    void createListGetUpdateAndDelete() throws Exception {
        assertThat(ok(call("GET", SOURCES, null), 200).isArray()).isTrue();
        assertThat(ok(call("GET", SOURCES, null), 200)).isEmpty();

        Instant before = Instant.now().minusSeconds(1);
        JsonNode created = ok(call("POST", SOURCES, headers("github", Map.of("token", TOKEN))), 201);
        assertThat(created.get("name").asText()).isEqualTo("github");
        assertThat(created.get("resolverKind").asText()).isEqualTo("static_headers");
        assertThat(created.get("currentVersion").asLong()).isEqualTo(1);
        assertThat(created.get("status").asText()).isEqualTo("active");
        Instant createdAt = Instant.parse(created.get("createdAt").asText());
        assertThat(createdAt).isAfter(before);
        assertThat(Instant.parse(created.get("updatedAt").asText())).isEqualTo(createdAt);
        assertThat(created.has("spec")).isFalse();

        assertThat(ok(call("GET", SOURCES + "/github", null), 200)).isEqualTo(created);
        assertThat(ok(call("GET", SOURCES, null), 200)).containsExactly(created);

        // The path's name wins over the body's, and the kind may change.
        JsonNode updated = ok(call("PUT", SOURCES + "/github", userPass("ignored", "ada", PASSWORD)), 200);
        assertThat(updated.get("name").asText()).isEqualTo("github");
        assertThat(updated.get("resolverKind").asText()).isEqualTo("static_username_password");
        assertThat(updated.get("currentVersion").asLong()).isEqualTo(2);
        assertThat(Instant.parse(updated.get("createdAt").asText())).isEqualTo(createdAt);
        assertThat(Instant.parse(updated.get("updatedAt").asText())).isAfterOrEqualTo(createdAt);
        assertThat(ok(call("PUT", SOURCES + "/github", headers("x", Map.of("token", "t3"))), 200)
                .get("currentVersion").asLong()).isEqualTo(3);
        assertError(call("GET", SOURCES + "/ignored", null), 404, "not_found", "credential source not found");
        assertThat(ok(call("GET", SOURCES, null), 200)).extracting(n -> n.get("name").asText())
                .containsExactly("github");

        assertThat(ok(call("DELETE", SOURCES + "/github", null), 200).toString()).isEqualTo("{\"deleted\":true}");
        assertError(call("GET", SOURCES + "/github", null), 404, "not_found", "credential source not found");
        assertThat(ok(call("GET", SOURCES, null), 200)).isEmpty();
        // Idempotent, as upstream: an unknown name is already deleted.
        assertThat(ok(call("DELETE", SOURCES + "/github", null), 200).get("deleted").asBoolean()).isTrue();
        // The name is free again, from version 1.
        assertThat(ok(call("POST", SOURCES, headers("github", Map.of("token", TOKEN))), 201)
                .get("currentVersion").asLong()).isEqualTo(1);
    }

    @Test
    void aTakenNameIsAConflictAndUnknownNamesAreNotFound() throws Exception {
        ok(call("POST", SOURCES, headers("github", Map.of("token", TOKEN))), 201);
        assertError(call("POST", SOURCES, userPass("github", "ada", PASSWORD)), 409, "conflict",
                "credential source already exists");
        assertThat(ok(call("GET", SOURCES + "/github", null), 200).get("currentVersion").asLong()).isEqualTo(1);
        assertError(call("GET", SOURCES + "/nope", null), 404, "not_found", "credential source not found");
        assertError(call("PUT", SOURCES + "/nope", headers("nope", Map.of("token", TOKEN))), 404, "not_found",
                "credential source not found");
        assertError(call("GET", SOURCES + "/nope", null), 404, "not_found", "credential source not found");
    }

    @Test
    void everyKindIsTaken() throws Exception {
        var rsa = fixtures.certificate("rsa:2048", "client");
        var ca = fixtures.certificate("ec", "ca");
        String sshKey = fixtures.sshKey("ed25519", null, PASSPHRASE);
        secrets.addAll(List.of(rsa.privateKeyPem().lines().skip(1).findFirst().orElseThrow(),
                sshKey.lines().skip(1).findFirst().orElseThrow()));

        ok(call("POST", SOURCES, userPass("broker", "ada", PASSWORD)), 201);
        ok(call("POST", SOURCES, Map.of("name", "mtls", "resolverKind", "static_tls_client_certificate", "spec",
                Map.of("staticTLSClientCertificate", Map.of("certificatePem", rsa.certificatePem(), "privateKeyPem",
                        rsa.privateKeyPem(), "caPem", ca.certificatePem())))), 201);
        ok(call("POST", SOURCES, Map.of("name", "git", "resolverKind", "static_ssh_private_key", "spec",
                Map.of("staticSSHPrivateKey", Map.of("privateKeyPem", sshKey, "passphrase", PASSPHRASE)))), 201);
        ok(call("POST", SOURCES, headers("empty", Map.of())), 201);

        assertThat(ok(call("GET", SOURCES, null), 200)).extracting(n -> n.get("name").asText() + ":"
                + n.get("resolverKind").asText()).containsExactly("broker:static_username_password", "empty:static_headers",
                "git:static_ssh_private_key", "mtls:static_tls_client_certificate");
    }

    @Test
    void everyValidationRowIsA400NamingTheField() throws Exception {
        var rsa = fixtures.certificate("rsa:2048", "a");
        var other = fixtures.certificate("rsa:2048", "b");
        String encryptedSsh = fixtures.sshKey("ed25519", null, PASSPHRASE);
        secrets.addAll(List.of(rsa.privateKeyPem().lines().skip(1).findFirst().orElseThrow(),
                other.privateKeyPem().lines().skip(1).findFirst().orElseThrow(),
                encryptedSsh.lines().skip(1).findFirst().orElseThrow()));
        Map<String, String> tlsSpec = Map.of("certificatePem", rsa.certificatePem(), "privateKeyPem",
                other.privateKeyPem());

        record Row(Object body, String message) {
        }
        List<Row> rows = List.of(
                new Row(Map.of("resolverKind", "static_headers", "spec", Map.of("staticHeaders", Map.of("values",
                        Map.of("token", TOKEN)))), "name is required"),
                new Row(headers("team/github", Map.of("token", TOKEN)), "name must not contain '/'"),
                new Row(headers("n".repeat(256), Map.of("token", TOKEN)), "name must be at most 255 characters"),
                new Row(Map.of("name", "x", "spec", Map.of("staticHeaders", Map.of("values", Map.of()))),
                        "resolverKind is required"),
                new Row(Map.of("name", "x", "resolverKind", "vault_secret", "spec", Map.of()),
                        "invalid value for field 'resolverKind': unknown value \"vault_secret\""),
                new Row(Map.of("name", "x", "resolverKind", "static_headers"), "spec is required"),
                new Row(Map.of("name", "x", "resolverKind", "static_headers", "spec", Map.of()),
                        "spec.staticHeaders.values is required"),
                new Row(Map.of("name", "x", "resolverKind", "static_headers", "spec", Map.of("staticHeaders", Map.of())),
                        "spec.staticHeaders.values is required"),
                new Row("{\"name\":\"x\",\"resolverKind\":\"static_headers\",\"spec\":{\"staticHeaders\":{\"values\":"
                        + "{\"token\":7}}}}", "spec.staticHeaders.values.token"),
                new Row(Map.of("name", "x", "resolverKind", "static_tls_client_certificate", "spec",
                        Map.of("staticTLSClientCertificate", tlsSpec)),
                        "certificatePem and privateKeyPem do not form a key pair"),
                new Row(Map.of("name", "x", "resolverKind", "static_tls_client_certificate", "spec",
                        Map.of("staticTLSClientCertificate", Map.of("certificatePem", "nope", "privateKeyPem",
                                rsa.privateKeyPem()))), "spec.staticTLSClientCertificate.certificatePem is not a PEM certificate"),
                new Row(Map.of("name", "x", "resolverKind", "static_tls_client_certificate", "spec",
                        Map.of("staticTLSClientCertificate", Map.of("certificatePem", rsa.certificatePem(),
                                "privateKeyPem", "nope"))), "spec.staticTLSClientCertificate.privateKeyPem is not a valid PEM private key"),
                new Row(Map.of("name", "x", "resolverKind", "static_tls_client_certificate", "spec",
                        Map.of("staticTLSClientCertificate", Map.of("certificatePem", rsa.certificatePem(),
                                "privateKeyPem", rsa.privateKeyPem(), "caPem", "nope"))),
                        "spec.staticTLSClientCertificate.caPem is not a PEM certificate bundle"),
                new Row(Map.of("name", "x", "resolverKind", "static_tls_client_certificate", "spec", Map.of()),
                        "spec.staticTLSClientCertificate.certificatePem is required"),
                new Row(userPass("x", " ", PASSWORD), "spec.staticUsernamePassword.username is required"),
                new Row(userPass("x", "ada", ""), "spec.staticUsernamePassword.password is required"),
                new Row(Map.of("name", "x", "resolverKind", "static_ssh_private_key", "spec",
                        Map.of("staticSSHPrivateKey", Map.of("privateKeyPem", "not a key"))),
                        "spec.staticSSHPrivateKey.privateKeyPem is not a valid SSH private key"),
                new Row(Map.of("name", "x", "resolverKind", "static_ssh_private_key", "spec",
                        Map.of("staticSSHPrivateKey", Map.of("privateKeyPem", encryptedSsh))),
                        "spec.staticSSHPrivateKey.passphrase is required"),
                new Row(Map.of("name", "x", "resolverKind", "static_ssh_private_key", "spec",
                        Map.of("staticSSHPrivateKey", Map.of("privateKeyPem", encryptedSsh, "passphrase", "guess-1a2b"))),
                        "spec.staticSSHPrivateKey.privateKeyPem cannot be decrypted with spec.staticSSHPrivateKey.passphrase"),
                new Row(Map.of("name", "x", "resolverKind", "static_headers", "storageKind", "plaintext_pg", "spec",
                        Map.of("staticHeaders", Map.of("values", Map.of("token", TOKEN)))),
                        "storageKind is set by the platform and cannot be written"),
                new Row(Map.of("name", "x", "resolverKind", "static_headers", "spec", Map.of("externalRef", "vault:x",
                        "staticHeaders", Map.of("values", Map.of("token", TOKEN)))),
                        "spec.externalRef is set by the platform and cannot be written"),
                new Row("[1]", "request body must be an object"),
                new Row("{\"name\":", "malformed JSON"),
                // Jackson would quote the bad token; a secret typed without quotes must not come back.
                new Row("{\"name\":\"x\",\"resolverKind\":\"static_headers\",\"spec\":{\"staticHeaders\":{\"values\":"
                        + "{\"token\":" + TOKEN + "}}}}", "malformed JSON at line 1"));
        secrets.add("guess-1a2b");

        for (Row row : rows) {
            assertError(call("POST", SOURCES, row.body()), 400, "bad_request", row.message());
        }
        assertError(call("POST", SOURCES, null), 400, "bad_request", "request body is required");
        assertThat(ok(call("GET", SOURCES, null), 200)).as("nothing was created").isEmpty();

        // A refused update leaves the source as it was.
        ok(call("POST", SOURCES, headers("kept", Map.of("token", TOKEN))), 201);
        for (Row row : rows) {
            if (!row.message().startsWith("name")) {
                assertError(call("PUT", SOURCES + "/kept", row.body()), 400, "bad_request", row.message());
            }
        }
        JsonNode kept = ok(call("GET", SOURCES + "/kept", null), 200);
        assertThat(kept.get("currentVersion").asLong()).isEqualTo(1);
        assertThat(kept.get("resolverKind").asText()).isEqualTo("static_headers");
    }

    @Test
    void rolesGrantWhatUpstreamGrants() throws Exception {
        String viewer = server.keyWithRoles(Role.VIEWER);
        String builder = server.keyWithRoles(Role.BUILDER);
        String developer = server.keyWithRoles(Role.DEVELOPER);

        ok(call("POST", SOURCES, headers("dev", Map.of("token", TOKEN)), developer), 201);
        ok(call("PUT", SOURCES + "/dev", headers("dev", Map.of("token", TOKEN)), developer), 200);
        assertThat(ok(call("GET", SOURCES + "/dev", null, viewer), 200).get("currentVersion").asLong()).isEqualTo(2);
        assertThat(ok(call("GET", SOURCES, null, viewer), 200)).hasSize(1);
        assertError(call("POST", SOURCES, headers("v", Map.of("token", TOKEN)), viewer), 403, "forbidden",
                "insufficient permissions");
        assertError(call("DELETE", SOURCES + "/dev", null, viewer), 403, "forbidden", "insufficient permissions");
        assertError(call("GET", SOURCES, null, builder), 403, "forbidden", "insufficient permissions");
        ok(call("DELETE", SOURCES + "/dev", null, developer), 200);
    }

    @Test
    void anotherTeamNeitherSeesNorChangesNorDeletesTheSource() throws Exception {
        ok(call("POST", SOURCES, headers("github", Map.of("token", TOKEN))), 201);
        String other = otherTeamKey();

        assertThat(ok(call("GET", SOURCES, null, other), 200)).isEmpty();
        assertError(call("GET", SOURCES + "/github", null, other), 404, "not_found", "credential source not found");
        assertError(call("PUT", SOURCES + "/github", headers("github", Map.of("token", "theirs")), other), 404,
                "not_found", "credential source not found");
        // Deleting is idempotent: for the other team the name is unknown, so it answers as deleted, touching nothing.
        assertThat(ok(call("DELETE", SOURCES + "/github", null, other), 200).get("deleted").asBoolean()).isTrue();
        JsonNode ours = ok(call("GET", SOURCES + "/github", null), 200);
        assertThat(ours.get("currentVersion").asLong()).isEqualTo(1);

        // Names are per team.
        assertThat(ok(call("POST", SOURCES, headers("github", Map.of("token", "theirs")), other), 201)
                .get("currentVersion").asLong()).isEqualTo(1);
        ok(call("PUT", SOURCES + "/github", headers("github", Map.of("token", "theirs-2")), other), 200);
        assertThat(ok(call("GET", SOURCES + "/github", null), 200)).isEqualTo(ours);
    }

    @Test
    void theStoreHoldsCiphertextOnlyInImmutableVersions() throws Exception {
        ok(call("POST", SOURCES, headers("github", Map.of("token", TOKEN))), 201);
        String version1 = versionRows().getFirst();
        ok(call("PUT", SOURCES + "/github", userPass("github", "ada", PASSWORD)), 200);

        List<Map<String, Object>> rows = server.jdbi().withHandle(h -> h.createQuery("SELECT v.*, s.team_id, s.name"
                + " FROM credential_source_versions v JOIN credential_sources s ON s.id = v.source_id ORDER BY v.version")
                .mapToMap().list());
        assertThat(rows).hasSize(2);
        assertThat(rows).extracting(r -> r.get("storage_kind")).containsOnly("encrypted_pg");
        assertThat(rows).extracting(r -> r.get("resolver_kind"))
                .containsExactly("static_headers", "static_username_password");
        assertThat(rows).extracting(r -> ((Number) r.get("version")).longValue()).containsExactly(1L, 2L);
        for (Map<String, Object> row : rows) {
            assertThat(row.get("key_id").toString()).matches("[0-9]+");
            byte[] ciphertext = Base64.getDecoder().decode(row.get("ciphertext").toString());
            String raw = new String(ciphertext, StandardCharsets.ISO_8859_1);
            for (String secret : List.of(TOKEN, PASSWORD, "token", "username")) {
                assertThat(raw).doesNotContain(secret);
            }
            assertThat(row.toString()).doesNotContain(TOKEN).doesNotContain(PASSWORD);
        }
        // Writes add versions; the first one's row is as it was.
        assertThat(versionRows().getFirst()).isEqualTo(version1);

        // Nothing in the whole store (on SQLite: its files) holds a secret in clear.
        String dump = server.jdbi().withHandle(h -> h.createQuery("SELECT * FROM credential_sources").mapToMap().list()
                .toString());
        assertThat(dump).doesNotContain(TOKEN).doesNotContain(PASSWORD);
        if (storeKind == TestDatabases.Kind.SQLITE) {
            var files = new StringBuilder();
            for (String file : List.of("sandbox0.db", "sandbox0.db-wal")) {
                Path path = dataDir.resolve(file);
                if (Files.exists(path)) {
                    files.append(new String(Files.readAllBytes(path), StandardCharsets.ISO_8859_1));
                }
            }
            assertThat(files.toString()).contains("github").doesNotContain(TOKEN).doesNotContain(PASSWORD);
        }

        Path key = dataDir.resolve("credential-encryption-key.json");
        assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void aRestartedServerReadsItsSourcesWithTheSameKeyFile() throws Exception {
        ok(call("POST", SOURCES, headers("github", Map.of("token", TOKEN))), 201);
        Path keyFile = dataDir.resolve("credential-encryption-key.json");
        String key = Files.readString(keyFile);
        var bindings = bindings(server);
        bindings.bind(server.adminTeamId(), "sb-restart", List.of(CredentialBindingsTest.headerBinding("gh", "github")));

        server = server.restarted();

        assertThat(Files.readString(keyFile)).isEqualTo(key);
        assertThat(ok(call("GET", SOURCES + "/github", null), 200).get("currentVersion").asLong()).isEqualTo(1);
        assertThat(bindings(server).resolve("sb-restart", "gh").orElseThrow().values()).containsEntry("token", TOKEN);
        ok(call("PUT", SOURCES + "/github", headers("github", Map.of("token", "t2"))), 200);
        assertError(call("DELETE", SOURCES + "/github", null), 409, "conflict",
                "credential source is still referenced by sandbox bindings");
    }

    /** The bindings of a server's store, with the server's own key file. */
    static CredentialBindings bindings(TestServer server) throws Exception {
        var cipher = CredentialCipher.loadOrCreate(server.dataDir().resolve("credential-encryption-key.json"));
        return new CredentialBindings(server.jdbi(), new CredentialSourceStore(server.jdbi(), cipher),
                java.time.Clock.systemUTC());
    }

    private List<String> versionRows() {
        return server.jdbi().withHandle(h -> h.createQuery("SELECT * FROM credential_source_versions ORDER BY version")
                .mapToMap().list().stream().map(Object::toString).toList());
    }

    @Test
    void aTeamWithSourcesIsNotDeletedUntilTheyAre() throws Exception {
        String other = otherTeamKey();
        ok(call("POST", SOURCES, headers("theirs", Map.of("token", TOKEN)), other), 201);
        String session = server.login("bob@example.com", "bob-password");

        HttpResponse<String> refused = call("DELETE", "/teams/" + otherTeam, null, session);
        assertError(refused, 409, "conflict", "team has resources");
        assertThat(Json.mapper().readTree(refused.body()).at("/error/details/credential_sources").asInt()).isEqualTo(1);
        ok(call("DELETE", SOURCES + "/theirs", null, other), 200);
        ok(call("DELETE", "/teams/" + otherTeam, null, session), 200);
    }

    private String otherTeam;

    /** An admin key of a second team (Bob's). */
    private String otherTeamKey() throws Exception {
        String bob = server.createUser("bob@example.com", "bob-password");
        String session = server.login("bob@example.com", "bob-password");
        otherTeam = ok(server.send(HttpRequest.newBuilder(server.uri("/teams"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"B\"}"))
                        .header("Content-Type", "application/json"), "Authorization", "Bearer " + session), 201)
                .get("id").asText();
        return server.mintKey(otherTeam, bob, bob, ApiKeyScope.TEAM, List.of(Role.ADMIN), true,
                Instant.now().plusSeconds(3600));
    }
}
