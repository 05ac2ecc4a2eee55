package ai.sandbox0.server.identity;

import ai.sandbox0.api.auth.AuthProvider;
import ai.sandbox0.api.auth.AuthProviderList;
import ai.sandbox0.api.auth.ChangePasswordRequest;
import ai.sandbox0.api.auth.LoginRequest;
import ai.sandbox0.api.auth.LoginResponse;
import ai.sandbox0.api.auth.RefreshRequest;
import ai.sandbox0.api.auth.RegisterRequest;
import ai.sandbox0.api.common.Message;
import ai.sandbox0.server.ServerConfig;
import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** {@code /auth/*}: password login, registration, refresh, logout, password change and the provider list. */
public final class AuthEndpoints {

    public static final int MIN_PASSWORD = 8;

    private final UserStore users;
    private final Registrations registrations;
    private final Logins logins;
    private final PasswordHasher passwords;
    private final LoginThrottle throttle;
    private final Supplier<List<AuthProvider>> oidcProviders;
    private final Clock clock;

    public AuthEndpoints(UserStore users, Registrations registrations, Logins logins, PasswordHasher passwords,
            LoginThrottle throttle, Supplier<List<AuthProvider>> oidcProviders, Clock clock) {
        this.users = users;
        this.registrations = registrations;
        this.logins = logins;
        this.passwords = passwords;
        this.throttle = throttle;
        this.oidcProviders = oidcProviders;
        this.clock = clock;
    }

    public List<Route> routes() {
        return List.of(
                Route.open("GET", "/auth/providers", this::providers),
                Route.open("POST", "/auth/login", this::login),
                Route.open("POST", "/auth/register", this::register),
                Route.open("POST", "/auth/refresh", this::refresh),
                Route.userSession("POST", "/auth/logout", this::logout),
                Route.userSession("POST", "/auth/change-password", this::changePassword));
    }

    private Reply providers(Call call) {
        var all = new ArrayList<>(oidcProviders.get());
        all.add(new AuthProvider("builtin", "Email & Password", "builtin", null, false, false));
        return Reply.ok(new AuthProviderList(all));
    }

    private Reply login(Call call) {
        LoginRequest request = call.body(LoginRequest.class);
        String email = required(request.email(), "email");
        String password = requiredPassword(request.password(), "password");
        String account = UserStore.normalizeEmail(email);
        Optional<Duration> wait = throttle.admit(call.clientAddress(), account);
        if (wait.isPresent()) {
            throw ApiException.tooManyRequests("too many login attempts: try again in "
                    + Math.max(1, wait.get().toSeconds()) + " s", wait.get());
        }
        Optional<UserAccount> user = users.findByEmail(account);
        // The hash runs whether or not the user exists: the answer's timing does not tell.
        boolean matches = passwords.matches(password, user.map(UserAccount::passwordHash).orElse(null));
        if (user.isEmpty() || !matches) {
            throttle.failed(call.clientAddress(), account);
            throw new AuthenticationFailure("invalid email or password");
        }
        throttle.succeeded(account);
        return Reply.ok(logins.start(user.get()));
    }

    private Reply register(Call call) {
        if (!registrations.open()) {
            throw ApiException.forbidden("registration is disabled");
        }
        RegisterRequest request = call.body(RegisterRequest.class);
        String email = required(request.email(), "email").strip();
        if (!ServerConfig.Identity.isEmail(email)) {
            throw ApiException.badRequest("email must be an email address");
        }
        String password = newPassword(request.password(), "password");
        String name = required(request.name(), "name").strip();
        if (name.length() > 255) {
            throw ApiException.badRequest("name must be at most 255 characters");
        }
        if (request.homeRegionId() != null && !request.homeRegionId().isBlank()
                && !request.homeRegionId().strip().equals(registrations.region())) {
            throw ApiException.badRequest("home region not found: this installation serves region '"
                    + registrations.region() + "'");
        }
        UserAccount user = registrations.register(email, name, passwords.hash(password));
        return Reply.created(logins.start(user));
    }

    private Reply refresh(Call call) {
        RefreshRequest request = call.body(RefreshRequest.class);
        String token = required(request.refreshToken(), "refresh_token");
        LoginResponse response = logins.refresh(token);
        return Reply.ok(response);
    }

    private Reply logout(Call call) {
        logins.end(call.principal().sessionId());
        return Reply.ok(new Message("logged out"));
    }

    private Reply changePassword(Call call) {
        Principal caller = call.principal();
        ChangePasswordRequest request = call.body(ChangePasswordRequest.class);
        String old = requiredPassword(request.oldPassword(), "old_password");
        String next = newPassword(request.newPassword(), "new_password");
        UserAccount user = users.findById(caller.userId())
                .orElseThrow(() -> new AuthenticationFailure("user not found"));
        Optional<Duration> wait = throttle.admit(call.clientAddress(), user.email());
        if (wait.isPresent()) {
            throw ApiException.tooManyRequests("too many attempts: try again in "
                    + Math.max(1, wait.get().toSeconds()) + " s", wait.get());
        }
        if (!passwords.matches(old, user.passwordHash())) {
            throttle.failed(call.clientAddress(), user.email());
            throw new AuthenticationFailure("invalid email or password");
        }
        registrations.setPassword(user.id(), passwords.hash(next), clock.instant());
        logins.endOthers(user.id(), caller.sessionId());
        return Reply.ok(new Message("password changed successfully"));
    }

    private static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw ApiException.badRequest(field + " is required");
        }
        return value;
    }

    private static String newPassword(String value, String field) {
        String password = requiredPassword(value, field);
        if (password.codePointCount(0, password.length()) < MIN_PASSWORD) {
            throw ApiException.badRequest(field + " must be at least " + MIN_PASSWORD + " characters");
        }
        return password;
    }

    private static String requiredPassword(String value, String field) {
        if (value == null || value.isEmpty()) {
            throw ApiException.badRequest(field + " is required");
        }
        if (value.getBytes(StandardCharsets.UTF_8).length > PasswordHasher.MAX_PASSWORD_BYTES) {
            throw ApiException.badRequest(field + " must be at most " + PasswordHasher.MAX_PASSWORD_BYTES + " bytes");
        }
        return value;
    }
}
