package ai.sandbox0.server.credential;

import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.CachePolicySpec;
import ai.sandbox0.api.network.CredentialBinding;
import ai.sandbox0.api.network.CredentialProjectionType;
import ai.sandbox0.api.network.HttpHeadersProjection;
import ai.sandbox0.api.network.PlaceholderReplacement;
import ai.sandbox0.api.network.PlaceholderSubstitutionLocation;
import ai.sandbox0.api.network.PlaceholderSubstitutionProjection;
import ai.sandbox0.api.network.ProjectedHeader;
import ai.sandbox0.api.network.ProjectionSpec;
import ai.sandbox0.api.network.SshProxyProjection;
import ai.sandbox0.node.egress.EgressCredentials;
import ai.sandbox0.node.egress.EgressMaterial;
import ai.sandbox0.server.MutableClock;
import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.network.EgressCredentialResolver;
import ai.sandbox0.server.store.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resolver the egress proxy asks for what to inject, against a real server's store (SQLite): bindings
 * rendered with their source's decrypted values, cached for the binding's TTL, dropped when the sandbox's
 * bindings change, and failures that never carry a secret.
 */
class EgressCredentialResolverTest {

    private static final String SOURCES = "/api/v1/credential-sources";
    private static final String TOKEN = "tok-5d1f0a9e3c77";

    @TempDir
    Path dataDir;

    private TestServer server;
    private CredentialBindings bindings;
    private MutableClock clock;
    private EgressCredentialResolver resolver;
    private String team;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(dataDir, TestDatabases.Kind.SQLITE);
        bindings = CredentialSourceApiTest.bindings(server);
        clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        resolver = new EgressCredentialResolver(bindings, clock);
        team = server.adminTeamId();
        source(TOKEN);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aHeadersBindingRendersItsTemplatesWithTheSourcesValues() throws Exception {
        bindings.bind(team, "sb-1", List.of(headers("gh", "Bearer {{ .token }}", "2m")));

        var m = (EgressMaterial.Headers) resolver.resolve("sb-1", "gh").orElseThrow();
        assertThat(m.headers()).isEqualTo(Map.of("Authorization", "Bearer " + TOKEN));
        assertThat(m.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(2)));
        assertThat(m.toString()).doesNotContain(TOKEN);
        assertThat(resolver.resolve("sb-1", "unbound")).isEmpty();
        assertThat(resolver.resolve("sb-2", "gh")).isEmpty();
    }

    @Test
    void aPlaceholderBindingRendersEachReplacementWithItsLocations() throws Exception {
        var projection = new ProjectionSpec(CredentialProjectionType.PLACEHOLDER_SUBSTITUTION, null,
                new PlaceholderSubstitutionProjection(List.of(new PlaceholderReplacement("__KEY__", "k-{{ .token }}",
                        List.of(PlaceholderSubstitutionLocation.QUERY, PlaceholderSubstitutionLocation.BODY)))),
                null, null, null);
        bindings.bind(team, "sb-1", List.of(new CredentialBinding("key", "github", projection, null)));

        var m = (EgressMaterial.Placeholders) resolver.resolve("sb-1", "key").orElseThrow();
        EgressMaterial.Replacement r = m.replacements().getFirst();
        assertThat(r.placeholder()).isEqualTo("__KEY__");
        assertThat(r.value()).isEqualTo("k-" + TOKEN);
        assertThat(r.locations()).isEqualTo(Set.of(PlaceholderSubstitutionLocation.QUERY,
                PlaceholderSubstitutionLocation.BODY));
        assertThat(m.expiresAt()).as("the default TTL").isEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
    }

    @Test
    void materialIsCachedForTheTtlAndDroppedWhenTheBindingsChange() throws Exception {
        bindings.bind(team, "sb-1", List.of(headers("gh", "Bearer {{ .token }}", "1m")));
        assertThat(header(resolver.resolve("sb-1", "gh").orElseThrow())).isEqualTo("Bearer " + TOKEN);

        source("t2"); // a new version; the binding still pins the first
        clock.advance(Duration.ofSeconds(30));
        assertThat(header(resolver.resolve("sb-1", "gh").orElseThrow())).isEqualTo("Bearer " + TOKEN);

        bindings.bind(team, "sb-1", List.of(headers("gh", "token {{ .token }}", "1m"))); // applied again: pins t2
        assertThat(header(resolver.resolve("sb-1", "gh").orElseThrow())).isEqualTo("token t2");

        bindings.release("sb-1");
        assertThat(resolver.resolve("sb-1", "gh")).isEmpty();
    }

    @Test
    void anExpiredEntryIsResolvedAgain() throws Exception {
        bindings.bind(team, "sb-1", List.of(headers("gh", "Bearer {{ .token }}", "1m")));
        var first = resolver.resolve("sb-1", "gh").orElseThrow();
        clock.advance(Duration.ofSeconds(61));
        var second = resolver.resolve("sb-1", "gh").orElseThrow();
        assertThat(second.expiresAt()).isAfter(first.expiresAt());
    }

    @Test
    void aTemplateNamingAMissingKeyFailsWithoutTheSecret() throws Exception {
        bindings.bind(team, "sb-1", List.of(headers("gh", "Bearer {{ .token }} {{ .secret }}", null)));

        assertThatThrownBy(() -> resolver.resolve("sb-1", "gh"))
                .isInstanceOf(EgressCredentials.Failure.class)
                .hasMessageContaining("gh").hasMessageContaining("\"secret\"")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(TOKEN));
    }

    @Test
    void anSshProxyBindingRendersTheDecryptedKeyAndNeverShowsIt() throws Exception {
        Path keys = Files.createTempDirectory(dataDir, "ssh");
        Path key = keys.resolve("id");
        Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "pass phrase", "-C", "",
                "-f", key.toString()).redirectErrorStream(true).start();
        assertThat(keygen.waitFor()).as(new String(keygen.getInputStream().readAllBytes())).isZero();
        String pem = Files.readString(key);
        var body = Json.mapper().writeValueAsString(Map.of("name", "deploy-key", "resolverKind", "static_ssh_private_key",
                "spec", Map.of("staticSSHPrivateKey", Map.of("privateKeyPem", pem, "passphrase", "pass phrase"))));
        ok(server.json("POST", SOURCES, body), 201);
        String sandboxKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl agent";
        String known = "git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
        bindings.bind(team, "sb-1", List.of(new CredentialBinding("git", "deploy-key", new ProjectionSpec(
                CredentialProjectionType.SSH_PROXY, null, null, null, null,
                new SshProxyProjection(List.of(sandboxKey), "git", List.of(known))), null)));

        var m = (EgressMaterial.SshLogin) resolver.resolve("sb-1", "git").orElseThrow();
        assertThat(m.upstreamUsername()).isEqualTo("git");
        assertThat(m.sandboxPublicKeys()).containsExactly(sandboxKey);
        assertThat(m.knownHosts()).containsExactly(known);
        // The decrypted key is the one whose public half ssh-keygen wrote.
        assertThat(PublicKeyEntry.toString(m.key().getPublic()))
                .isEqualTo(Files.readString(keys.resolve("id.pub")).trim());
        assertThat(m.toString()).doesNotContain("PRIVATE").doesNotContain("pass phrase").contains("git");
    }

    @Test
    void anSshProxyProjectionOverASourceWithoutAKeyFailsWithoutTheSecret() {
        bindings.bind(team, "sb-1", List.of(new CredentialBinding("git", "github", new ProjectionSpec(
                CredentialProjectionType.SSH_PROXY, null, null, null, null,
                new SshProxyProjection(List.of("ssh-ed25519 AAAA x"), "git", List.of())), null)));

        assertThatThrownBy(() -> resolver.resolve("sb-1", "git"))
                .isInstanceOf(EgressCredentials.Failure.class)
                .hasMessageContaining("git").hasMessageContaining("no SSH private key")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(TOKEN));
    }

    private void source(String token) throws Exception {
        var body = Json.mapper().writeValueAsString(Map.of("name", "github", "resolverKind", "static_headers",
                "spec", Map.of("staticHeaders", Map.of("values", Map.of("token", token)))));
        if (token.equals(TOKEN)) {
            ok(server.json("POST", SOURCES, body), 201);
        } else {
            ok(server.json("PUT", SOURCES + "/github", body), 200);
        }
    }

    private static CredentialBinding headers(String ref, String template, String ttl) {
        return new CredentialBinding(ref, "github", new ProjectionSpec(CredentialProjectionType.HTTP_HEADERS,
                new HttpHeadersProjection(List.of(new ProjectedHeader("Authorization", template))),
                null, null, null, null), ttl == null ? null : new CachePolicySpec(ttl));
    }

    private static String header(EgressMaterial m) {
        return ((EgressMaterial.Headers) m).headers().get("Authorization");
    }
}
