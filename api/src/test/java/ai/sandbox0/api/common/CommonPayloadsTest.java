package ai.sandbox0.api.common;

import static ai.sandbox0.api.WireAssertions.assertSameJson;
import static ai.sandbox0.api.WireAssertions.roundTrip;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Envelope;
import ai.sandbox0.api.Json;
import org.junit.jupiter.api.Test;

class CommonPayloadsTest {

    @Test
    void smallPayloadsAreOneMemberObjects() {
        assertSameJson(Json.writeString(Envelope.ok(new Deleted(true))), "{\"success\":true,\"data\":{\"deleted\":true}}");
        assertSameJson(Json.writeString(new Created(true)), "{\"created\":true}");
        assertSameJson(Json.writeString(new Written(true)), "{\"written\":true}");
        assertSameJson(Json.writeString(new Moved(true)), "{\"moved\":true}");
        assertSameJson(Json.writeString(new Resized(true)), "{\"resized\":true}");
        assertSameJson(Json.writeString(new Signaled(true)), "{\"signaled\":true}");
        assertThat(roundTrip("{\"message\":\"sandbox terminated successfully\"}", Message.class).message())
                .isEqualTo("sandbox terminated successfully");
    }
}
