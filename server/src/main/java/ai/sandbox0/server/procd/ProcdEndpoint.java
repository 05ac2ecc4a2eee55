package ai.sandbox0.server.procd;

import java.net.URI;
import java.util.Objects;

/** Where a sandbox's procd answers, and the bearer token it wants. The token never leaves the server. */
public record ProcdEndpoint(URI base, String token) {

    public ProcdEndpoint {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(token, "token");
    }

    public URI resolve(String pathAndQuery) {
        return base.resolve(pathAndQuery);
    }

    @Override
    public String toString() {
        return "ProcdEndpoint[" + base + "]";
    }
}
