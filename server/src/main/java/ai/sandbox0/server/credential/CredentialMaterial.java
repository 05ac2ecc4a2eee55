package ai.sandbox0.server.credential;

import ai.sandbox0.api.credential.CredentialSourceResolverKind;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The secret material of one credential source version: the key/value map value templates render from
 * ({@code {{ .token }}}). Per resolver kind: static headers are their {@code values}; a user name and password
 * are {@code username} and {@code password}; a TLS client certificate is {@code certificatePem},
 * {@code privateKeyPem} and {@code caPem} (when given); an SSH key is {@code privateKeyPem} and
 * {@code passphrase} (when given).
 */
public record CredentialMaterial(CredentialSourceResolverKind kind, Map<String, String> values) {

    public CredentialMaterial {
        Objects.requireNonNull(kind, "kind");
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    // Secrets stay out of logs and error messages: only the keys are shown.
    @Override
    public String toString() {
        return "CredentialMaterial[kind=" + kind.wire() + ", keys=" + values.keySet() + "]";
    }
}
