package ai.sandbox0.api.network;

import ai.sandbox0.api.WireEnums;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** The protocol of an egress proxy. */
public enum EgressProxyType {
    @JsonProperty("socks5")
    SOCKS5;

    /** The value as written on the wire. */
    public String wire() {
        return WireEnums.wire(this);
    }

    /** For query parameters and path segments: empty when {@code value} is not a wire value. */
    public static Optional<EgressProxyType> fromWire(String value) {
        return WireEnums.parse(EgressProxyType.class, value);
    }

    // An unknown value (or a number) fails the read, which the server answers with a 400 naming the field.
    @JsonCreator
    static EgressProxyType fromJson(String value) {
        return WireEnums.require(EgressProxyType.class, value);
    }
}
