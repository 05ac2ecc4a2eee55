package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/** Request-level matcher for HTTP-family rules. */
public record HttpMatch(
        List<String> methods,
        // Exact paths.
        List<String> paths,
        List<String> pathPrefixes,
        List<HttpValueMatch> query,
        List<HttpValueMatch> headers) {

    public HttpMatch {
        methods = Copies.list(methods);
        paths = Copies.list(paths);
        pathPrefixes = Copies.list(pathPrefixes);
        query = Copies.list(query);
        headers = Copies.list(headers);
    }
}
