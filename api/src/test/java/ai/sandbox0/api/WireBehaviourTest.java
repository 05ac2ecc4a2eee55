package ai.sandbox0.api;

import static ai.sandbox0.api.WireAssertions.roundTrip;
import static ai.sandbox0.api.WireAssertions.written;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.network.TrafficRule;
import ai.sandbox0.api.sandbox.ClaimRequest;
import ai.sandbox0.api.sandbox.RefreshResponse;
import ai.sandbox0.api.sandbox.Sandbox;
import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.sandbox.SandboxSummary;
import ai.sandbox0.api.template.PoolStrategy;
import com.fasterxml.jackson.databind.JsonMappingException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** How every record reads and writes, shown on a few representative ones. */
class WireBehaviourTest {

    @Test
    void unknownFieldsAreIgnoredAtEveryLevel() throws Exception {
        // config.resources is sent by the 0.9.5 SDK but is not in the server spec.
        ClaimRequest claim = Json.mapper().readValue("""
                {"template":"default","future":1,
                 "config":{"ttl":60,"resources":{"memory":"2Gi"},"network":{"mode":"allow-all","extra":[1,2]}}}
                """, ClaimRequest.class);

        assertThat(claim.config().ttl()).isEqualTo(60);
        assertThat(claim.config().network().mode()).isEqualTo(NetworkMode.ALLOW_ALL);
        assertThat(written(claim).toString())
                .isEqualTo("{\"template\":\"default\",\"config\":{\"ttl\":60,\"network\":{\"mode\":\"allow-all\"}}}");
    }

    @Test
    void absentOptionalFieldsAreOmittedNotWrittenAsNullOrZero() {
        assertThat(written(new ClaimRequest("default", null, null, null)).toString()).isEqualTo("{\"template\":\"default\"}");
        assertThat(written(new SandboxConfig(null, 0, null, null, null, false, List.of())).toString())
                .isEqualTo("{\"ttl\":0,\"auto_resume\":false,\"services\":[]}");
    }

    @Test
    void explicitNullReadsAsAbsent() {
        ClaimRequest claim = roundTrip("{\"template\":\"default\"}", ClaimRequest.class);
        assertThat(claim).isEqualTo(roundTripNulls("{\"template\":\"default\",\"config\":null,\"mounts\":null}"));
    }

    @Test
    void explicitNullEnumReadsAsAbsent() throws Exception {
        assertThat(Json.mapper().readValue("{\"mode\":null}", SandboxNetworkPolicy.class).mode()).isNull();
    }

    private static ClaimRequest roundTripNulls(String json) {
        try {
            return Json.mapper().readValue(json, ClaimRequest.class);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"status\":\"completed\"}",
        "{\"status\":\"RUNNING\"}",
        "{\"status\":0}",
        "{\"status\":\"0\"}",
    })
    void enumValuesOutsideTheSchemaFailTheRead(String json) {
        assertThatThrownBy(() -> Json.mapper().readValue(json, SandboxSummary.class))
                .isInstanceOf(JsonMappingException.class)
                .hasMessageContaining("status");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"template\":5}", "{\"template\":1.5}", "{\"template\":false}"})
    void scalarsAreNotTurnedIntoStrings(String json) {
        assertThatThrownBy(() -> Json.mapper().readValue(json, ClaimRequest.class))
                .isInstanceOf(JsonMappingException.class)
                .hasMessageContaining("template");
    }

    @Test
    void unknownEnumValueInsideAListNamesTheValue() {
        assertThatThrownBy(() -> Json.mapper().readValue("{\"action\":\"allow\",\"appProtocols\":[\"ftp\"]}",
                TrafficRule.class))
                .isInstanceOf(JsonMappingException.class)
                .hasMessageContaining("unknown value \"ftp\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"ttl\":\"5\"}",
        "{\"ttl\":1.5}",
        "{\"ttl\":5.0}",
        "{\"ttl\":3000000000}",
        "{\"hard_ttl\":true}",
        "{\"auto_resume\":\"true\"}",
        "{\"auto_resume\":1}",
        "{\"env_vars\":[\"A=1\"]}",
        "{\"env_vars\":{\"A\":null}}",
        "{\"env_vars\":{\"A\":1}}",
        "{\"env_vars\":{\"A\":true}}",
        "{\"services\":[null]}",
    })
    void valuesOfTheWrongTypeAreRejectedNotCoerced(String json) {
        assertThatThrownBy(() -> Json.mapper().readValue(json, SandboxConfig.class))
                .isInstanceOf(JsonMappingException.class);
    }

    @Test
    void int64FieldsTakeValuesBeyondInt32() {
        Sandbox sandbox = roundTripField("runtime_generation", "5000000000");

        assertThat(sandbox.runtimeGeneration()).isEqualTo(5_000_000_000L);
    }

    @Test
    void requiredPrimitivesRejectAnExplicitNull() {
        assertThatThrownBy(() -> Json.mapper().readValue("{\"id\":\"rs-1\",\"paused\":null}", Sandbox.class))
                .isInstanceOf(JsonMappingException.class);
    }

    private static Sandbox roundTripField(String name, String value) {
        return roundTrip("{\"id\":\"rs-1\",\"paused\":false,\"auto_resume\":true,\"runtime_generation\":0,\""
                + name + "\":" + value + "}", Sandbox.class);
    }

    @Test
    void theZeroTimestampRoundTripsAsAnInstant() {
        RefreshResponse refresh = roundTrip("""
                {"sandbox_id":"rs-1","expires_at":"2026-06-20T10:20:30Z","hard_expires_at":"0001-01-01T00:00:00Z"}
                """, RefreshResponse.class);

        assertThat(refresh.hardExpiresAt()).isEqualTo(Instant.parse("0001-01-01T00:00:00Z"));
        assertThat(written(refresh).path("hard_expires_at").asText()).isEqualTo("0001-01-01T00:00:00Z");
    }

    @Test
    void timestampsWithAnOffsetAreReadAsTheSameInstant() throws Exception {
        RefreshResponse refresh = Json.mapper().readValue("""
                {"sandbox_id":"rs-1","expires_at":"2026-06-20T12:20:30+02:00","hard_expires_at":"0001-01-01T00:00:00Z"}
                """, RefreshResponse.class);

        assertThat(refresh.expiresAt()).isEqualTo(Instant.parse("2026-06-20T10:20:30Z"));
    }

    @Test
    void collectionsAreImmutableCopiesThatKeepOrder() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("Z", "1");
        env.put("A", "2");
        SandboxConfig config = new SandboxConfig(env, null, null, null, null, null, null);
        env.put("B", "3");

        assertThat(config.envVars()).containsExactly(Map.entry("Z", "1"), Map.entry("A", "2"));
        assertThat(written(config).toString()).isEqualTo("{\"env_vars\":{\"Z\":\"1\",\"A\":\"2\"}}");
        assertThatThrownBy(() -> config.envVars().put("C", "4")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void recordsDoNotValidateBusinessRules() {
        // minIdle > maxIdle and a missing mode are the server's to reject, with upstream's messages.
        assertThat(roundTrip("{\"minIdle\":3,\"maxIdle\":1}", PoolStrategy.class).minIdle()).isEqualTo(3);
        assertThat(roundTrip("{}", SandboxNetworkPolicy.class).mode()).isNull();
        assertThat(roundTrip("{\"ttl\":-1,\"hard_ttl\":-5}", SandboxConfig.class).ttl()).isEqualTo(-1);
    }
}
