package ai.sandbox0.api.credential;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** Where a credential source gets its secret material. */
public enum CredentialSourceResolverKind {
    @JsonProperty("static_headers")
    STATIC_HEADERS,
    @JsonProperty("static_tls_client_certificate")
    STATIC_TLS_CLIENT_CERTIFICATE,
    @JsonProperty("static_username_password")
    STATIC_USERNAME_PASSWORD,
    @JsonProperty("static_ssh_private_key")
    STATIC_SSH_PRIVATE_KEY;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<CredentialSourceResolverKind> fromWire(String value) {
        return WireEnums.parse(CredentialSourceResolverKind.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static CredentialSourceResolverKind fromJson(String value) {
        return WireEnums.require(CredentialSourceResolverKind.class, value);
    }
}
