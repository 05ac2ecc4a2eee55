package ai.sandbox0.server.identity.oidc;

import ai.sandbox0.api.auth.DeviceLoginPollRequest;
import ai.sandbox0.api.auth.DeviceLoginPollResponse;
import ai.sandbox0.api.auth.DeviceLoginStartResponse;
import ai.sandbox0.api.auth.DeviceLoginStatus;
import ai.sandbox0.api.auth.LoginResponse;
import ai.sandbox0.api.auth.WebLoginExchangeRequest;
import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import ai.sandbox0.server.identity.Logins;
import ai.sandbox0.server.identity.UserAccount;
import ai.sandbox0.server.identity.UserStore;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OIDC login as upstream serves it: {@code /auth/oidc/{provider}/login} sends the browser to the provider,
 * {@code …/callback} finishes the login (JSON tokens, tokens to a CLI's loopback URL, or a one-time code
 * for a web app, exchanged at {@code /auth/web-login/exchange}); {@code …/device/start} and
 * {@code …/device/poll} are the device flow a CLI without a browser uses. Every login ends in
 * {@link Logins#start}.
 */
public final class OidcEndpoints {

    private static final Logger LOG = LoggerFactory.getLogger(OidcEndpoints.class);

    private final OidcProviders providers;
    private final OidcAccounts accounts;
    private final Logins logins;
    private final UserStore users;
    private final DeviceLoginStore devices;
    private final WebLoginCodes codes;
    private final LoginStates states;
    private final ReturnUrls returnUrls;
    /** Whether a provider without its own auto-provision setting creates accounts: self-registration's setting. */
    private final boolean provisionByDefault;
    private final Clock clock;

    public OidcEndpoints(OidcProviders providers, OidcAccounts accounts, Logins logins, UserStore users,
            DeviceLoginStore devices, WebLoginCodes codes, boolean provisionByDefault, Supplier<URI> publicUrl,
            Clock clock, SecureRandom random) {
        this.providers = providers;
        this.accounts = accounts;
        this.logins = logins;
        this.users = users;
        this.devices = devices;
        this.codes = codes;
        this.states = new LoginStates(clock, random);
        this.returnUrls = new ReturnUrls(publicUrl);
        this.provisionByDefault = provisionByDefault;
        this.clock = clock;
    }

    public List<Route> routes() {
        return List.of(
                Route.open("GET", "/auth/oidc/{provider}/login", this::login),
                Route.open("GET", "/auth/oidc/{provider}/callback", this::callback),
                Route.open("POST", "/auth/oidc/{provider}/device/start", this::deviceStart),
                Route.open("POST", "/auth/oidc/{provider}/device/poll", this::devicePoll),
                Route.open("POST", "/auth/web-login/exchange", this::exchange));
    }

    private Reply login(Call call) {
        OidcClient provider = providers.require(call.pathParam("provider"));
        String returnUrl = call.query("return_url");
        if (returnUrl == null || returnUrl.isBlank()) {
            returnUrl = "/";
        }
        if (returnUrl.length() > ReturnUrls.MAX_LENGTH) {
            throw ApiException.badRequest("return_url must be at most " + ReturnUrls.MAX_LENGTH + " characters");
        }
        boolean webLogin = truthy(call.query("web_login"));
        if (webLogin && !returnUrls.webAllowed(returnUrl)) {
            throw ApiException.badRequest("invalid return URL: a web login returns to this server's public URL or to"
                    + " localhost");
        }
        String nonce = states.randomValue();
        String verifier = states.randomValue() + states.randomValue();
        String state = states.start(new LoginStates.Pending(provider.id(), nonce, verifier, returnUrl.strip(), webLogin,
                states.expiry()));
        return redirect(provider.authorizationUrl(state, nonce, verifier).toString());
    }

    private Reply callback(Call call) {
        OidcClient provider = providers.require(call.pathParam("provider"));
        String code = call.query("code");
        String state = call.query("state");
        if (code == null || code.isBlank() || state == null || state.isBlank()) {
            String error = call.query("error");
            throw ApiException.badRequest(error != null && error.matches("[A-Za-z0-9_.-]{1,64}")
                    ? "login was not completed at the provider: " + error
                    : "missing code or state");
        }
        LoginStates.Pending pending = states.take(state)
                .filter(p -> p.provider().equals(provider.id()))
                .orElseThrow(() -> ApiException.unauthorized("invalid OAuth state: it is unknown, used or expired;"
                        + " start the login again"));
        ExternalIdentity who = provider.exchangeCode(code, pending.codeVerifier(), pending.nonce());
        UserAccount user = accounts.accountFor(who, autoProvision(provider));
        LOG.info("OIDC login of user {} with {}", user.id(), provider.id());
        if (pending.webLogin()) {
            WebLoginCodes.Issued issued = codes.issue(user.id(), pending.returnUrl());
            return redirect(withQuery(pending.returnUrl(), Map.of("login_code", issued.code(),
                    "expires_unix", Long.toString(issued.expiresAt().getEpochSecond()))));
        }
        LoginResponse login = logins.start(user);
        if (ReturnUrls.isLoopback(pending.returnUrl())) {
            return redirect(withQuery(pending.returnUrl(), Map.of("access_token", login.accessToken(),
                    "refresh_token", login.refreshToken(), "expires_unix", Long.toString(login.expiresAt()))));
        }
        return Reply.ok(login);
    }

    private Reply exchange(Call call) {
        WebLoginExchangeRequest request = call.body(WebLoginExchangeRequest.class);
        String code = required(request.loginCode(), "login_code").strip();
        String returnUrl = required(request.returnUrl(), "return_url").strip();
        if (!returnUrls.webAllowed(returnUrl)) {
            throw ApiException.badRequest("invalid return URL");
        }
        return switch (codes.exchange(code, returnUrl)) {
            case WebLoginCodes.Exchange.Redeemed(String userId) -> Reply.ok(logins.start(users.findById(userId)
                    .orElseThrow(() -> new AuthenticationFailure("user not found"))));
            case WebLoginCodes.Exchange.Invalid() -> throw ApiException.unauthorized("invalid login code");
            case WebLoginCodes.Exchange.WrongReturnUrl() -> throw ApiException.badRequest("return_url does not match"
                    + " the login: the code is spent, log in again");
        };
    }

    private Reply deviceStart(Call call) {
        OidcClient provider = providers.require(call.pathParam("provider"));
        OidcClient.DeviceStart started = provider.startDevice();
        Instant now = clock.instant();
        long lifetime = started.lifetimeSeconds() > 0 ? Math.min(started.lifetimeSeconds(), 3600) : 600;
        var login = new DeviceLogin(UUID.randomUUID().toString(), provider.id(), started.deviceCode(),
                started.userCode(), started.verificationUri().toString(),
                started.verificationUriComplete() == null ? null : started.verificationUriComplete().toString(),
                started.intervalSeconds(), now.plusSeconds(lifetime), null, now);
        devices.create(login);
        return Reply.ok(new DeviceLoginStartResponse(login.id(), login.userCode(), login.verificationUri(),
                login.verificationUriComplete(), login.expiresAt().getEpochSecond(), login.intervalSeconds()));
    }

    private Reply devicePoll(Call call) {
        OidcClient provider = providers.require(call.pathParam("provider"));
        DeviceLoginPollRequest request = call.body(DeviceLoginPollRequest.class);
        String id = required(request.deviceLoginId(), "device_login_id").strip();
        DeviceLogin login = devices.find(id)
                .orElseThrow(() -> ApiException.notFound("device login not found"));
        if (login.consumedAt() != null) {
            throw ApiException.unauthorized("device login already completed");
        }
        if (!login.expiresAt().isAfter(clock.instant())) {
            throw ApiException.unauthorized("device login expired: start the login again");
        }
        if (!login.provider().equals(provider.id())) {
            throw ApiException.badRequest("device login does not match provider");
        }
        return switch (provider.pollDevice(login.deviceCode())) {
            case OidcClient.DevicePoll.Pending() -> Reply.ok(new DeviceLoginPollResponse(DeviceLoginStatus.PENDING,
                    login.intervalSeconds(), login.expiresAt().getEpochSecond(), null));
            case OidcClient.DevicePoll.SlowDown() -> {
                // RFC 8628: each slow_down adds 5 seconds to the interval for the rest of the login.
                int interval = Math.min(login.intervalSeconds() + 5, 300);
                devices.slowDown(login.id(), interval);
                yield Reply.ok(new DeviceLoginPollResponse(DeviceLoginStatus.SLOW_DOWN, interval,
                        login.expiresAt().getEpochSecond(), null));
            }
            case OidcClient.DevicePoll.Ended(String reason) -> throw ApiException.unauthorized(reason);
            case OidcClient.DevicePoll.Completed(ExternalIdentity who) -> {
                UserAccount user = accounts.accountFor(who, autoProvision(provider));
                if (!devices.consume(login.id(), clock.instant())) {
                    throw ApiException.unauthorized("device login already completed");
                }
                LOG.info("OIDC device login of user {} with {}", user.id(), provider.id());
                yield Reply.ok(new DeviceLoginPollResponse(DeviceLoginStatus.COMPLETED, null, null,
                        logins.start(user)));
            }
        };
    }

    private boolean autoProvision(OidcClient provider) {
        Boolean configured = provider.settings().autoProvision();
        return configured != null ? configured : provisionByDefault;
    }

    /** A 302 that is not cached and does not leak its URL (which may carry tokens) as a referrer. */
    private static Reply redirect(String location) {
        return new Reply.Raw(302, "text/plain; charset=utf-8", new byte[0], Map.of("Location", location,
                "Cache-Control", "no-store", "Referrer-Policy", "no-referrer"));
    }

    /** {@code url} with {@code params} set in its query (replacing any of the same name). */
    static String withQuery(String url, Map<String, String> params) {
        URI uri = URI.create(url);
        var query = new LinkedHashMap<String, String>();
        String raw = uri.getRawQuery();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                if (!params.containsKey(java.net.URLDecoder.decode(name, StandardCharsets.UTF_8))) {
                    query.put(pair, null);
                }
            }
        }
        var out = new StringBuilder();
        query.keySet().forEach(pair -> out.append(out.isEmpty() ? "" : "&").append(pair));
        params.forEach((name, value) -> out.append(out.isEmpty() ? "" : "&")
                .append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        String base = url;
        int cut = base.indexOf('?');
        if (cut >= 0) {
            base = base.substring(0, cut);
        }
        return base + "?" + out;
    }

    private static boolean truthy(String value) {
        return value != null && switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "1", "t", "true", "yes", "y", "on" -> true;
            default -> false;
        };
    }

    private static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw ApiException.badRequest(field + " is required");
        }
        return value;
    }
}
