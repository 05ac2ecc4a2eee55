package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/** Headers set on outbound requests. */
public record HttpHeadersProjection(
        List<ProjectedHeader> headers) {

    public HttpHeadersProjection {
        headers = Copies.list(headers);
    }
}
