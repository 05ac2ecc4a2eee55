package ai.sandbox0.server.identity.oidc;

import ai.sandbox0.api.auth.AuthProvider;
import ai.sandbox0.server.ServerConfig;
import ai.sandbox0.server.http.ApiException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/** The configured OIDC providers, in the order they are offered. */
public final class OidcProviders {

    private final Map<String, OidcClient> byId = new LinkedHashMap<>();

    public OidcProviders(List<ServerConfig.OidcProvider> settings, Supplier<URI> publicUrl) {
        settings.forEach(s -> byId.put(s.id(), new OidcClient(s, publicUrl)));
    }

    public boolean isEmpty() {
        return byId.isEmpty();
    }

    /** The provider of a route's {@code {provider}}; 404 when none is configured by that id. */
    public OidcClient require(String id) {
        OidcClient client = byId.get(id);
        if (client == null) {
            throw ApiException.notFound("OIDC provider not found");
        }
        return client;
    }

    /** For {@code GET /auth/providers}: every provider offers browser login, device login when it has it. */
    public List<AuthProvider> listed() {
        return byId.values().stream()
                .map(p -> new AuthProvider(p.id(), p.name(), "oidc", null, true, p.deviceLoginEnabled()))
                .toList();
    }

    /** Discovers every provider in the background, so the first login is quick and problems show in the log. */
    public void discoverInBackground(Executor executor) {
        byId.values().forEach(p -> executor.execute(p::discoverQuietly));
    }
}
