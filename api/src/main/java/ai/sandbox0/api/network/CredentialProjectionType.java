package ai.sandbox0.api.network;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** The kind of credential projection. */
public enum CredentialProjectionType {
    @JsonProperty("http_headers")
    HTTP_HEADERS,
    @JsonProperty("placeholder_substitution")
    PLACEHOLDER_SUBSTITUTION,
    @JsonProperty("tls_client_certificate")
    TLS_CLIENT_CERTIFICATE,
    @JsonProperty("username_password")
    USERNAME_PASSWORD,
    @JsonProperty("ssh_proxy")
    SSH_PROXY;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<CredentialProjectionType> fromWire(String value) {
        return WireEnums.parse(CredentialProjectionType.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static CredentialProjectionType fromJson(String value) {
        return WireEnums.require(CredentialProjectionType.class, value);
    }
}
