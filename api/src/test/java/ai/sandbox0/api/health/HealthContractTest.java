package ai.sandbox0.api.health;

import static ai.sandbox0.api.WireAssertions.assertSameJson;
import static ai.sandbox0.api.WireAssertions.roundTrip;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Envelope;
import ai.sandbox0.api.Json;
import org.junit.jupiter.api.Test;

class HealthContractTest {

    @Test
    void healthIsWrappedInTheEnvelope() {
        assertSameJson(Json.writeString(Envelope.ok(new HealthStatus("healthy", 1750000000L))),
                "{\"success\":true,\"data\":{\"status\":\"healthy\",\"timestamp\":1750000000}}");
    }

    @Test
    void metadataRoundTrips() {
        GatewayMetadata metadata = roundTrip("{\"gateway_mode\":\"direct\",\"service\":\"regional-gateway\"}",
                GatewayMetadata.class);

        assertThat(metadata.gatewayMode()).isEqualTo(GatewayMode.DIRECT);
    }
}
