package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;

/** A probe that sends an HTTP GET. */
public record HttpGetAction(
        String path,
        // ProbePort: an integer in this schema.
        Integer port,
        String host,
        String scheme,
        List<HttpHeader> httpHeaders) {

    public HttpGetAction {
        httpHeaders = Copies.list(httpHeaders);
    }
}
