package ai.sandbox0.server.network;

import ai.sandbox0.api.network.PlaceholderReplacement;
import ai.sandbox0.api.network.ProjectedHeader;
import ai.sandbox0.api.network.ProjectionSpec;
import ai.sandbox0.node.egress.EgressCredentials;
import ai.sandbox0.node.egress.EgressMaterial;
import ai.sandbox0.server.credential.CredentialBindings;
import ai.sandbox0.server.credential.ResolvedCredential;
import ai.sandbox0.server.credential.SshPrivateKey;
import ai.sandbox0.server.credential.ValueTemplate;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the node's egress proxy injects, resolved here: a sandbox's binding, the decrypted values of the source
 * version it pins, its projection's value templates rendered. Answers are cached per sandbox and binding for
 * the binding's {@code cachePolicy.ttl} (default 5 minutes), at most {@value #MAX_ENTRIES} of them; a sandbox's
 * entries go as soon as its bindings change. Failures are not cached, and their messages name the binding and
 * the key, never a value.
 */
public final class EgressCredentialResolver implements EgressCredentials {

    static final Duration DEFAULT_TTL = Duration.ofMinutes(5);
    static final int MAX_ENTRIES = 2048;

    private record Key(String sandboxId, String ref) {
    }

    private record Cached(long sourceVersion, EgressMaterial material) {
    }

    private final CredentialBindings bindings;
    private final Clock clock;
    private final Map<Key, Cached> cache = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Cached> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    public EgressCredentialResolver(CredentialBindings bindings, Clock clock) {
        this.bindings = bindings;
        this.clock = clock;
        bindings.onChange(this::forget);
    }

    @Override
    public Optional<EgressMaterial> resolve(String sandboxId, String ref) throws Failure {
        var key = new Key(sandboxId, ref);
        Instant now = clock.instant();
        synchronized (cache) {
            Cached e = cache.get(key);
            if (e != null && e.material().expiresAt().isAfter(now)) {
                return Optional.of(e.material());
            }
        }
        Optional<ResolvedCredential> found;
        try {
            found = bindings.resolve(sandboxId, ref);
        } catch (RuntimeException e) {
            throw new Failure("binding " + ref + ": its credential source cannot be read (" + e.getClass().getSimpleName() + ")");
        }
        if (found.isEmpty()) {
            return Optional.empty();
        }
        ResolvedCredential c = found.get();
        EgressMaterial material = render(c, now.plus(ttl(c)));
        synchronized (cache) {
            cache.put(key, new Cached(c.sourceVersion(), material));
        }
        return Optional.of(material);
    }

    /** Drops what is cached for the sandbox (its bindings changed). */
    public void forget(String sandboxId) {
        synchronized (cache) {
            cache.keySet().removeIf(k -> k.sandboxId().equals(sandboxId));
        }
    }

    int cached() {
        synchronized (cache) {
            return cache.size();
        }
    }

    static EgressMaterial render(ResolvedCredential c, Instant expiresAt) throws Failure {
        ProjectionSpec p = c.projection();
        if (p == null || p.type() == null) {
            throw new Failure("binding " + c.ref() + " has no projection");
        }
        try {
            return switch (p.type()) {
                case HTTP_HEADERS -> {
                    if (p.httpHeaders() == null) {
                        throw new Failure("binding " + c.ref() + ": http_headers without headers");
                    }
                    var headers = new LinkedHashMap<String, String>();
                    for (ProjectedHeader h : orEmpty(p.httpHeaders().headers())) {
                        headers.put(h.name(), ValueTemplate.render(h.valueTemplate(), c.values()));
                    }
                    yield new EgressMaterial.Headers(headers, expiresAt);
                }
                case PLACEHOLDER_SUBSTITUTION -> {
                    if (p.placeholderSubstitution() == null) {
                        throw new Failure("binding " + c.ref() + ": placeholder_substitution without replacements");
                    }
                    var replacements = new ArrayList<EgressMaterial.Replacement>();
                    for (PlaceholderReplacement r : orEmpty(p.placeholderSubstitution().replacements())) {
                        replacements.add(new EgressMaterial.Replacement(r.placeholder(),
                                ValueTemplate.render(r.valueTemplate(), c.values()), new HashSet<>(orEmpty(r.locations()))));
                    }
                    yield new EgressMaterial.Placeholders(replacements, expiresAt);
                }
                case TLS_CLIENT_CERTIFICATE -> {
                    String cert = c.values().get("certificatePem");
                    String key = c.values().get("privateKeyPem");
                    if (cert == null || key == null) {
                        throw new Failure("binding " + c.ref() + ": the source holds no certificate and key");
                    }
                    yield new EgressMaterial.ClientCertificate(cert, key, expiresAt);
                }
                case USERNAME_PASSWORD -> {
                    String username = c.values().get("username");
                    String password = c.values().get("password");
                    if (username == null || password == null) {
                        throw new Failure("binding " + c.ref() + ": the source holds no username and password");
                    }
                    yield new EgressMaterial.UsernamePassword(username, password, expiresAt);
                }
                case SSH_PROXY -> sshLogin(c, p, expiresAt);
            };
        } catch (ValueTemplate.MissingKey | ValueTemplate.InvalidTemplate e) {
            throw new Failure("binding " + c.ref() + ": " + e.getMessage());
        }
    }

    /** The source's key, decrypted here: the node is handed a key pair, never the PEM or its passphrase. */
    private static EgressMaterial.SshLogin sshLogin(ResolvedCredential c, ProjectionSpec p, Instant expiresAt)
            throws Failure {
        if (p.sshProxy() == null || p.sshProxy().upstreamUsername() == null
                || p.sshProxy().sandboxPublicKeys().isEmpty()) {
            throw new Failure("binding " + c.ref() + ": ssh_proxy without upstreamUsername and sandboxPublicKeys");
        }
        String pem = c.values().get("privateKeyPem");
        if (pem == null) {
            throw new Failure("binding " + c.ref() + ": the source holds no SSH private key");
        }
        KeyPair key = SshPrivateKey.open(pem, c.values().get("passphrase")).orElseThrow(() ->
                new Failure("binding " + c.ref() + ": the SSH private key cannot be read"));
        return new EgressMaterial.SshLogin(p.sshProxy().upstreamUsername(), key, p.sshProxy().sandboxPublicKeys(),
                p.sshProxy().knownHosts(), expiresAt);
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private static Duration ttl(ResolvedCredential c) {
        if (c.cachePolicy() == null || c.cachePolicy().ttl() == null || c.cachePolicy().ttl().isBlank()) {
            return DEFAULT_TTL;
        }
        try {
            Duration d = GoDuration.parse(c.cachePolicy().ttl());
            return d.isZero() ? DEFAULT_TTL : d;
        } catch (IllegalArgumentException e) {
            return DEFAULT_TTL;
        }
    }
}
