package ai.sandbox0.api.credential;

import static ai.sandbox0.api.WireAssertions.roundTrip;
import static ai.sandbox0.api.WireAssertions.written;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CredentialSourceContractTest {

    @Test
    void staticHeadersWriteRequestRoundTrips() {
        CredentialSourceWriteRequest request = roundTrip("""
                {"name":"example-api","resolverKind":"static_headers",
                 "spec":{"staticHeaders":{"values":{"token":"t1","tenant":"acme"}}}}
                """, CredentialSourceWriteRequest.class);

        assertThat(request.resolverKind()).isEqualTo(CredentialSourceResolverKind.STATIC_HEADERS);
        assertThat(request.spec().staticHeaders().values()).containsExactly(Map.entry("token", "t1"),
                Map.entry("tenant", "acme"));
    }

    @Test
    void otherStaticSpecsUseTheirUpstreamAcronyms() {
        CredentialSourceWriteSpec spec = roundTrip("""
                {"staticTLSClientCertificate":{"certificatePem":"-----BEGIN CERTIFICATE-----","privateKeyPem":"-----BEGIN PRIVATE KEY-----","caPem":"-----BEGIN CERTIFICATE-----"},
                 "staticUsernamePassword":{"username":"u","password":"p"},
                 "staticSSHPrivateKey":{"privateKeyPem":"-----BEGIN OPENSSH PRIVATE KEY-----","passphrase":"pp"}}
                """, CredentialSourceWriteSpec.class);

        JsonNode json = written(new CredentialSourceWriteSpec(null,
                new StaticTlsClientCertificateSourceSpec("c", "k", null), null, new StaticSshPrivateKeySourceSpec("k", null)));

        assertThat(spec.staticSshPrivateKey().passphrase()).isEqualTo("pp");
        assertThat(spec.staticTlsClientCertificate().caPem()).isNotNull();
        assertThat(json.has("staticTLSClientCertificate")).isTrue();
        assertThat(json.has("staticSSHPrivateKey")).isTrue();
        assertThat(json.path("staticSSHPrivateKey").has("privateKeyPem")).isTrue();
    }

    @Test
    void metadataListIsABareArray() {
        List<CredentialSourceMetadata> list = roundTrip("""
                [{"name":"example-api","resolverKind":"static_headers","currentVersion":2,"status":"active",
                  "createdAt":"2026-06-20T10:00:00Z","updatedAt":"2026-06-20T11:00:00Z"},
                 {"name":"deploy-key","resolverKind":"static_ssh_private_key","currentVersion":1,"status":"active"}]
                """, new TypeReference<List<CredentialSourceMetadata>>() { });

        assertThat(list.getFirst().currentVersion()).isEqualTo(2L);
        assertThat(list.getFirst().createdAt()).isEqualTo(Instant.parse("2026-06-20T10:00:00Z"));
        assertThat(list.get(1).resolverKind()).isEqualTo(CredentialSourceResolverKind.STATIC_SSH_PRIVATE_KEY);
    }

    @Test
    void secretValuesNeverReachToString() {
        CredentialSourceWriteSpec spec = new CredentialSourceWriteSpec(
                new StaticHeadersSourceSpec(Map.of("token", "hunter2")),
                new StaticTlsClientCertificateSourceSpec("CERT", "KEY-hunter2", null),
                new StaticUsernamePasswordSourceSpec("alice", "hunter2"),
                new StaticSshPrivateKeySourceSpec("SSH-hunter2", "hunter2"));

        assertThat(spec.toString()).doesNotContain("hunter2").contains("token").contains("alice");
    }
}
