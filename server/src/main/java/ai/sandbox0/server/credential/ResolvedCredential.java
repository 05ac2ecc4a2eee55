package ai.sandbox0.server.credential;

import ai.sandbox0.api.credential.CredentialSourceResolverKind;
import ai.sandbox0.api.network.CachePolicySpec;
import ai.sandbox0.api.network.ProjectionSpec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A sandbox's credential binding with the material of the source version it pins: what egress auth renders a
 * projection from. {@code values} is the decrypted key/value map (see {@link CredentialMaterial}); value
 * templates render against it.
 */
public record ResolvedCredential(
        String ref,
        String sourceRef,
        long sourceVersion,
        CredentialSourceResolverKind resolverKind,
        ProjectionSpec projection,
        CachePolicySpec cachePolicy,
        Map<String, String> values) {

    public ResolvedCredential {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    // Secrets stay out of logs and error messages: only the keys are shown.
    @Override
    public String toString() {
        return "ResolvedCredential[ref=" + ref + ", sourceRef=" + sourceRef + ", sourceVersion=" + sourceVersion
                + ", resolverKind=" + resolverKind.wire() + ", projection=" + projection + ", cachePolicy="
                + cachePolicy + ", keys=" + values.keySet() + "]";
    }
}
