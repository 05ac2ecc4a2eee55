package ai.sandbox0.api.network;

/** Presents the source's client certificate on re-originated TLS; an empty object. */
public record TlsClientCertificateProjection() {
}
