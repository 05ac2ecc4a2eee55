package ai.sandbox0.api.tenancy;

import static ai.sandbox0.api.WireAssertions.roundTrip;
import static ai.sandbox0.api.WireAssertions.written;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TenancyContractTest {

    private static final String API_KEY = """
            {"id":"3f2e1d0c-9b8a-4765-8432-10fedcba9876","key_value":"s0_eu-west-1_***","team_id":"team-7d1f",
             "user_id":"user-42","created_by":"user-42","name":"ci","scope":"team","roles":["developer"],
             "is_active":true,"expires_at":"2026-09-18T10:00:00Z","last_used_at":"2026-06-20T10:00:00Z",
             "usage_count":1234,"created_at":"2026-06-20T09:00:00Z","updated_at":"2026-06-20T10:00:00Z"}
            """;

    @Test
    void apiKeysRoundTrip() {
        ApiKey key = roundTrip(API_KEY, ApiKey.class);
        ApiKeyList list = roundTrip("{\"api_keys\":[" + API_KEY + "]}", ApiKeyList.class);
        CreateApiKeyRequest create = roundTrip("""
                {"name":"ci","scope":"team","roles":["developer","viewer"],"expires_in":"30d"}
                """, CreateApiKeyRequest.class);
        CreateApiKeyResponse created = roundTrip("""
                {"id":"3f2e1d0c-9b8a-4765-8432-10fedcba9876","name":"ci","scope":"team","roles":["developer"],
                 "team_id":"team-7d1f","key":"s0_eu-west-1_0123456789abcdef0123456789abcdef0123456789abcdef",
                 "expires_at":"2026-07-20T09:00:00Z","created_at":"2026-06-20T09:00:00Z"}
                """, CreateApiKeyResponse.class);

        assertThat(key.isActive()).isTrue();
        assertThat(key.usageCount()).isEqualTo(1234L);
        assertThat(list.apiKeys()).containsExactly(key);
        assertThat(create.expiresIn()).isEqualTo("30d");
        assertThat(created.key()).startsWith("s0_");
        assertThat(created.toString()).doesNotContain("0123456789abcdef");
    }

    @Test
    void currentApiKeyIsWrappedAsApiKey() {
        CurrentApiKeyPayload payload = roundTrip("""
                {"api_key":{"id":"3f2e1d0c-9b8a-4765-8432-10fedcba9876","team_id":"team-7d1f","created_by":"user-42",
                 "scope":"team","roles":["developer"],"permissions":["sandbox:create","sandbox:read"],
                 "is_active":true,"expires_at":"2026-09-18T10:00:00Z"}}
                """, CurrentApiKeyPayload.class);

        assertThat(payload.apiKey().permissions()).contains("sandbox:read");
        assertThat(written(payload).path("api_key").has("is_active")).isTrue();
    }

    @Test
    void unlimitedQuotaIsAnExplicitNull() {
        TeamQuota unlimited = roundTrip("{\"team_id\":\"team-7d1f\",\"dimension\":\"active_sandboxes\",\"limit_value\":null}",
                TeamQuota.class);
        TeamQuota limited = roundTrip("{\"team_id\":\"team-7d1f\",\"dimension\":\"egress\",\"limit_value\":0}",
                TeamQuota.class);

        assertThat(unlimited.limitValue()).isNull();
        assertThat(written(unlimited).has("limit_value")).isTrue();
        assertThat(limited.limitValue()).isZero();
        assertThat(roundTrip("{\"limit_value\":1}", PutTeamQuotaRequest.class).limitValue()).isEqualTo(1L);
        assertThat(QuotaDimension.fromWire("volume_storage_gb")).contains(QuotaDimension.VOLUME_STORAGE_GB);
        assertThat(QuotaDimension.fromWire("disk")).isEmpty();
    }

    @Test
    void usersKeysAndIdentitiesRoundTrip() {
        User user = roundTrip("""
                {"id":"user-42","email":"ada@example.com","name":"Ada","avatar_url":"https://a.example/ada.png",
                 "email_verified":true,"is_admin":false,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-06-01T00:00:00Z"}
                """, User.class);
        SshPublicKeyList keys = roundTrip("""
                {"ssh_keys":[{"id":"k1","name":"laptop","public_key":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx ada@laptop",
                  "key_type":"ssh-ed25519","fingerprint_sha256":"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
                  "comment":"ada@laptop","created_at":"2026-06-01T00:00:00Z","updated_at":"2026-06-01T00:00:00Z"}]}
                """, SshPublicKeyList.class);
        IdentityList identities = roundTrip("{\"identities\":[{\"id\":\"i1\",\"provider\":\"github\",\"created_at\":1750000000}]}",
                IdentityList.class);

        assertThat(user.isAdmin()).isFalse();
        assertThat(keys.sshKeys().getFirst().fingerprintSha256()).startsWith("SHA256:");
        assertThat(identities.identities().getFirst().createdAt()).isEqualTo(1750000000L);
        assertThat(roundTrip("{\"name\":\"laptop\",\"public_key\":\"ssh-ed25519 AAAA\"}", CreateSshPublicKeyRequest.class)
                .publicKey()).isEqualTo("ssh-ed25519 AAAA");
        assertThat(roundTrip("{\"avatar_url\":\"https://a\"}", UpdateUserRequest.class).name()).isNull();
    }

    @Test
    void teamsMembersAndRegionsRoundTrip() {
        TeamList teams = roundTrip("""
                {"teams":[{"id":"team-7d1f","name":"Acme","slug":"acme","owner_id":"user-42","home_region_id":"eu-west-1",
                  "created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-02T00:00:00Z"}]}
                """, TeamList.class);
        TeamMemberList members = roundTrip("""
                {"members":[{"id":"m1","team_id":"team-7d1f","user_id":"user-42","role":"admin",
                  "joined_at":"2026-01-01T00:00:00Z","email":"ada@example.com","name":"Ada"}]}
                """, TeamMemberList.class);
        RegionList regions = roundTrip("""
                {"regions":[{"id":"eu-west-1","display_name":"Europe (Ireland)","regional_gateway_url":"https://eu.example.com",
                  "metering_export_url":"https://metering.example.com","enabled":true}]}
                """, RegionList.class);

        assertThat(teams.teams().getFirst().homeRegionId()).isEqualTo("eu-west-1");
        assertThat(members.members().getFirst().joinedAt()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(regions.regions().getFirst().enabled()).isTrue();
        assertThat(roundTrip("{\"email\":\"bob@example.com\",\"role\":\"viewer\"}", AddTeamMemberRequest.class).role())
                .isEqualTo(TeamRole.VIEWER);
        assertThat(roundTrip("{\"role\":\"builder\"}", UpdateTeamMemberRequest.class).role()).isEqualTo(TeamRole.BUILDER);
        assertThat(roundTrip("{\"name\":\"Acme\",\"slug\":\"acme\",\"home_region_id\":\"eu-west-1\"}",
                CreateTeamRequest.class).slug()).isEqualTo("acme");
        assertThat(roundTrip("{\"name\":\"Acme 2\"}", UpdateTeamRequest.class).slug()).isNull();
        assertThat(roundTrip("{\"user_id\":\"user-43\"}", TransferTeamOwnerRequest.class).userId()).isEqualTo("user-43");
        assertThat(roundTrip("{\"id\":\"us-east-1\",\"regional_gateway_url\":\"https://us.example.com\"}",
                CreateRegionRequest.class).enabled()).isNull();
        assertThat(roundTrip("{\"enabled\":false}", UpdateRegionRequest.class).enabled()).isFalse();
    }

    @Test
    void snakeCaseNamesThatAStrategyCouldGetWrong() {
        JsonNode key = written(new CurrentApiKeyResponse("k", "t", "u", "team", null, null, true,
                Instant.parse("2026-01-01T00:00:00Z")));
        JsonNode ssh = written(new SshPublicKey("k", "n", "p", "ssh-ed25519", "SHA256:x", null,
                Instant.EPOCH, Instant.EPOCH));

        assertThat(key.has("is_active")).isTrue();
        assertThat(key.has("created_by")).isTrue();
        assertThat(ssh.has("fingerprint_sha256")).isTrue();
        assertThat(ssh.has("public_key")).isTrue();
    }
}
