package ai.sandbox0.server.credential;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.credential.CredentialSourceResolverKind;
import ai.sandbox0.api.network.CachePolicySpec;
import ai.sandbox0.api.network.CredentialBinding;
import ai.sandbox0.api.network.CredentialProjectionType;
import ai.sandbox0.api.network.HttpHeadersProjection;
import ai.sandbox0.api.network.ProjectedHeader;
import ai.sandbox0.api.network.ProjectionSpec;
import ai.sandbox0.api.network.SshProxyProjection;
import ai.sandbox0.api.network.TlsClientCertificateProjection;
import ai.sandbox0.api.network.UsernamePasswordProjection;
import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.store.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Sandbox credential bindings (spec §7.2) against a real server's store: pinning, resolving the decrypted
 * material, and the 409 a bound source's delete gets (scenario 40) until the sandbox lets go.
 */
@ParameterizedClass
@EnumSource(TestDatabases.Kind.class)
class CredentialBindingsTest {

    private static final String SOURCES = "/api/v1/credential-sources";
    private static final String TOKEN = "tok-0c8e5b2d7a41";

    @Parameter
    TestDatabases.Kind storeKind;

    @TempDir
    Path dataDir;

    @TempDir
    Path fixtureDir;

    private TestServer server;
    private CredentialBindings bindings;
    private String team;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(dataDir, storeKind);
        bindings = CredentialSourceApiTest.bindings(server);
        team = server.adminTeamId();
        ok(server.json("POST", SOURCES, Json.mapper().writeValueAsString(Map.of("name", "github", "resolverKind",
                "static_headers", "spec", Map.of("staticHeaders", Map.of("values", Map.of("token", TOKEN)))))), 201);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** An {@code http_headers} binding that sends {@code Authorization: Bearer {{ .token }}}. */
    static CredentialBinding headerBinding(String ref, String sourceRef) {
        return new CredentialBinding(ref, sourceRef, new ProjectionSpec(CredentialProjectionType.HTTP_HEADERS,
                new HttpHeadersProjection(List.of(new ProjectedHeader("Authorization", "Bearer {{ .token }}"))),
                null, null, null, null), new CachePolicySpec("1m"));
    }

    private void put(String name, Object body) throws Exception {
        ok(server.json("PUT", SOURCES + "/" + name, Json.mapper().writeValueAsString(body)), 200);
    }

    @Test
    void aBoundSourceResolvesToItsDecryptedMaterialAndRendersItsHeader() throws Exception {
        bindings.bind(team, "sb-one", List.of(headerBinding("gh", "github")));

        ResolvedCredential resolved = bindings.resolve("sb-one", "gh").orElseThrow();
        assertThat(resolved.ref()).isEqualTo("gh");
        assertThat(resolved.sourceRef()).isEqualTo("github");
        assertThat(resolved.sourceVersion()).isEqualTo(1);
        assertThat(resolved.resolverKind()).isEqualTo(CredentialSourceResolverKind.STATIC_HEADERS);
        assertThat(resolved.projection()).isEqualTo(headerBinding("gh", "github").projection());
        assertThat(resolved.cachePolicy()).isEqualTo(new CachePolicySpec("1m"));
        assertThat(resolved.values()).isEqualTo(Map.of("token", TOKEN));
        ProjectedHeader header = resolved.projection().httpHeaders().headers().getFirst();
        assertThat(ValueTemplate.render(header.valueTemplate(), resolved.values())).isEqualTo("Bearer " + TOKEN);
        assertThat(resolved.toString()).contains("token").doesNotContain(TOKEN);

        assertThat(bindings.resolve("sb-one", "other")).isEmpty();
        assertThat(bindings.resolve("sb-two", "gh")).isEmpty();
    }

    @Test
    void everyKindResolvesToItsKeys() throws Exception {
        var fixtures = new CredentialFixtures(fixtureDir);
        var cert = fixtures.certificate("ec", "client");
        var ca = fixtures.certificate("ec", "ca");
        String sshKey = fixtures.sshKey("ed25519", null, "phrase-1");
        ok(server.json("POST", SOURCES, Json.mapper().writeValueAsString(Map.of("name", "broker", "resolverKind",
                "static_username_password", "spec", Map.of("staticUsernamePassword", Map.of("username", "ada",
                        "password", "pw-1"))))), 201);
        ok(server.json("POST", SOURCES, Json.mapper().writeValueAsString(Map.of("name", "mtls", "resolverKind",
                "static_tls_client_certificate", "spec", Map.of("staticTLSClientCertificate", Map.of("certificatePem",
                        cert.certificatePem(), "privateKeyPem", cert.privateKeyPem(), "caPem", ca.certificatePem()))))),
                201);
        ok(server.json("POST", SOURCES, Json.mapper().writeValueAsString(Map.of("name", "git", "resolverKind",
                "static_ssh_private_key", "spec", Map.of("staticSSHPrivateKey", Map.of("privateKeyPem", sshKey,
                        "passphrase", "phrase-1"))))), 201);

        var ssh = new ProjectionSpec(CredentialProjectionType.SSH_PROXY, null, null, null, null,
                new SshProxyProjection(List.of("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO8nQ2kA sandbox"), "git",
                        List.of("github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkV")));
        bindings.bind(team, "sb-kinds", List.of(
                new CredentialBinding("broker", "broker", new ProjectionSpec(CredentialProjectionType.USERNAME_PASSWORD,
                        null, null, null, new UsernamePasswordProjection(), null), null),
                new CredentialBinding("mtls", "mtls", new ProjectionSpec(CredentialProjectionType.TLS_CLIENT_CERTIFICATE,
                        null, null, new TlsClientCertificateProjection(), null, null), null),
                new CredentialBinding("git", "git", ssh, null)));

        assertThat(bindings.refs("sb-kinds")).containsExactly("broker", "git", "mtls");
        assertThat(bindings.resolve("sb-kinds", "broker").orElseThrow().values())
                .isEqualTo(Map.of("username", "ada", "password", "pw-1"));
        assertThat(bindings.resolve("sb-kinds", "mtls").orElseThrow().values()).isEqualTo(Map.of("certificatePem",
                cert.certificatePem(), "privateKeyPem", cert.privateKeyPem(), "caPem", ca.certificatePem()));
        ResolvedCredential git = bindings.resolve("sb-kinds", "git").orElseThrow();
        assertThat(git.values()).isEqualTo(Map.of("privateKeyPem", sshKey, "passphrase", "phrase-1"));
        assertThat(git.projection()).isEqualTo(ssh);
        assertThat(git.cachePolicy()).isNull();
    }

    @Test
    void aBoundSourceCannotBeDeletedUntilTheSandboxLetsGo() throws Exception {
        bindings.bind(team, "sb-one", List.of(headerBinding("gh", "github")));
        bindings.bind(team, "sb-two", List.of(headerBinding("gh", "github")));
        // Bound at any version: a newer one does not free the older.
        put("github", Map.of("name", "github", "resolverKind", "static_headers", "spec",
                Map.of("staticHeaders", Map.of("values", Map.of("token", "t2")))));

        assertError(server.json("DELETE", SOURCES + "/github", null), 409, "conflict",
                "credential source is still referenced by sandbox bindings");
        bindings.release("sb-one");
        assertError(server.json("DELETE", SOURCES + "/github", null), 409, "conflict",
                "credential source is still referenced by sandbox bindings");
        bindings.bind(team, "sb-two", List.of()); // cleared, as PUT network with credentialBindings: []
        assertThat(bindings.refs("sb-two")).isEmpty();

        assertThat(ok(server.json("DELETE", SOURCES + "/github", null), 200).get("deleted").asBoolean()).isTrue();
        assertError(server.authed(SOURCES + "/github"), 404, "not_found", "credential source not found");
    }

    @Test
    void aBindingPinsTheVersionCurrentWhenItWasApplied() throws Exception {
        bindings.bind(team, "sb-one", List.of(headerBinding("gh", "github")));
        put("github", Map.of("name", "github", "resolverKind", "static_username_password", "spec",
                Map.of("staticUsernamePassword", Map.of("username", "ada", "password", "pw-2"))));

        ResolvedCredential pinned = bindings.resolve("sb-one", "gh").orElseThrow();
        assertThat(pinned.sourceVersion()).isEqualTo(1);
        assertThat(pinned.resolverKind()).isEqualTo(CredentialSourceResolverKind.STATIC_HEADERS);
        assertThat(pinned.values()).isEqualTo(Map.of("token", TOKEN));

        bindings.bind(team, "sb-one", List.of(headerBinding("gh", "github")));
        ResolvedCredential reapplied = bindings.resolve("sb-one", "gh").orElseThrow();
        assertThat(reapplied.sourceVersion()).isEqualTo(2);
        assertThat(reapplied.resolverKind()).isEqualTo(CredentialSourceResolverKind.STATIC_USERNAME_PASSWORD);
        assertThat(reapplied.values()).isEqualTo(Map.of("username", "ada", "password", "pw-2"));
        // The template names a key the new version lacks: rendering fails, naming the key only.
        assertThatThrownBy(() -> ValueTemplate.render("Bearer {{ .token }}", reapplied.values()))
                .isInstanceOf(ValueTemplate.MissingKey.class).hasMessageContaining("\"token\"")
                .hasMessageNotContaining("pw-2");
    }

    @Test
    void anUnknownSourceIsA400AndChangesNothing() throws Exception {
        bindings.bind(team, "sb-one", List.of(headerBinding("gh", "github")));

        assertThatThrownBy(() -> bindings.bind(team, "sb-one", List.of(headerBinding("a", "github"),
                headerBinding("b", "missing"))))
                .isInstanceOf(Invalid.class)
                .hasMessage("credentialBindings[1].sourceRef: credential source \"missing\" not found");
        assertThat(bindings.refs("sb-one")).containsExactly("gh");

        // Another team's source is as unknown as a missing one.
        assertThatThrownBy(() -> bindings.bind("another-team", "sb-other", List.of(headerBinding("gh", "github"))))
                .isInstanceOf(Invalid.class).hasMessageContaining("credentialBindings[0].sourceRef");
        assertThat(bindings.refs("sb-other")).isEmpty();

        assertThatThrownBy(() -> bindings.bind(team, "sb-one", List.of(headerBinding("gh", "github"),
                headerBinding("gh", "github")))).isInstanceOf(Invalid.class)
                .hasMessage("credentialBindings[1].ref \"gh\" is used twice");
        assertThatThrownBy(() -> bindings.bind(team, "sb-one", List.of(headerBinding(null, "github"))))
                .isInstanceOf(Invalid.class).hasMessage("credentialBindings[0].ref is required");
        assertThat(bindings.refs("sb-one")).containsExactly("gh");
    }

    @Test
    void aDifferentKeyFileCannotOpenTheMaterial() throws Exception {
        bindings.bind(team, "sb-one", List.of(headerBinding("gh", "github")));
        Path otherKey = fixtureDir.resolve("other-key.json");
        var stranger = new CredentialBindings(server.jdbi(), new CredentialSourceStore(server.jdbi(),
                CredentialCipher.loadOrCreate(otherKey)), java.time.Clock.systemUTC());
        assertThat(Files.readString(otherKey)).isNotEqualTo(
                Files.readString(dataDir.resolve("credential-encryption-key.json")));

        assertThatThrownBy(() -> stranger.resolve("sb-one", "gh")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot be decrypted with this installation's credential key")
                .hasMessageNotContaining(TOKEN);
        // A ciphertext moved to another version's row does not open either: it is bound to its row.
        put("github", Map.of("name", "github", "resolverKind", "static_headers", "spec",
                Map.of("staticHeaders", Map.of("values", Map.of("token", "t2")))));
        server.execute("UPDATE credential_source_versions SET ciphertext = (SELECT ciphertext FROM"
                + " credential_source_versions v WHERE v.version = 2) WHERE version = 1");
        assertThatThrownBy(() -> bindings.resolve("sb-one", "gh")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot be decrypted");
    }
}
