package ai.sandbox0.api.auth;

import static ai.sandbox0.api.WireAssertions.roundTrip;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AuthContractTest {

    private static final String LOGIN = """
            {"access_token":"eyJhbGciOiJSUzI1NiJ9.access","refresh_token":"eyJhbGciOiJSUzI1NiJ9.refresh",
             "expires_at":1750003600,
             "user":{"id":"user-42","email":"ada@example.com","name":"Ada","email_verified":true,"is_admin":true,
              "created_at":"2026-01-01T00:00:00Z","updated_at":"2026-06-01T00:00:00Z"}}
            """;

    @Test
    void loginRoundTripsAndKeepsTokensOutOfToString() {
        LoginRequest request = roundTrip("{\"email\":\"ada@example.com\",\"password\":\"hunter22\"}", LoginRequest.class);
        LoginResponse response = roundTrip(LOGIN, LoginResponse.class);

        assertThat(response.expiresAt()).isEqualTo(1750003600L);
        assertThat(response.user().isAdmin()).isTrue();
        assertThat(request.toString()).doesNotContain("hunter22").contains("ada@example.com");
        assertThat(response.toString()).doesNotContain("eyJhbGciOiJSUzI1NiJ9");
    }

    @Test
    void otherAuthBodiesRoundTrip() {
        RegisterRequest register = roundTrip("""
                {"email":"ada@example.com","password":"hunter22","name":"Ada","home_region_id":"eu-west-1"}
                """, RegisterRequest.class);
        RefreshRequest refresh = roundTrip("{\"refresh_token\":\"r\"}", RefreshRequest.class);
        WebLoginExchangeRequest exchange = roundTrip("{\"login_code\":\"c\",\"return_url\":\"https://app/cb\"}",
                WebLoginExchangeRequest.class);
        ChangePasswordRequest change = roundTrip("{\"old_password\":\"a\",\"new_password\":\"hunter22\"}",
                ChangePasswordRequest.class);
        AuthProviderList providers = roundTrip("""
                {"providers":[{"id":"github","name":"GitHub","type":"oidc","external_auth_portal_url":"https://login.example.com",
                  "browser_login_enabled":true,"device_login_enabled":false}]}
                """, AuthProviderList.class);

        assertThat(register.homeRegionId()).isEqualTo("eu-west-1");
        assertThat(refresh.refreshToken()).isEqualTo("r");
        assertThat(exchange.returnUrl()).isEqualTo("https://app/cb");
        assertThat(change.toString()).doesNotContain("hunter22");
        assertThat(providers.providers().getFirst().deviceLoginEnabled()).isFalse();
    }

    @Test
    void deviceFlowRoundTrips() {
        DeviceLoginStartResponse start = roundTrip("""
                {"device_login_id":"d1","user_code":"ABCD-EFGH","verification_uri":"https://login.example.com/device",
                 "verification_uri_complete":"https://login.example.com/device?code=ABCD-EFGH","expires_at":1750000600,
                 "interval_seconds":5}
                """, DeviceLoginStartResponse.class);
        DeviceLoginPollResponse pending = roundTrip("{\"status\":\"slow_down\",\"interval_seconds\":10}",
                DeviceLoginPollResponse.class);
        DeviceLoginPollResponse done = roundTrip("{\"status\":\"completed\",\"expires_at\":1750000600,\"login\":" + LOGIN + "}",
                DeviceLoginPollResponse.class);

        assertThat(start.intervalSeconds()).isEqualTo(5);
        assertThat(pending.status()).isEqualTo(DeviceLoginStatus.SLOW_DOWN);
        assertThat(done.login().user().id()).isEqualTo("user-42");
        assertThat(roundTrip("{\"device_login_id\":\"d1\"}", DeviceLoginPollRequest.class).deviceLoginId()).isEqualTo("d1");
    }
}
