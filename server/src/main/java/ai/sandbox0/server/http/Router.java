package ai.sandbox0.server.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.eclipse.jetty.http.pathmap.MatchedResource;
import org.eclipse.jetty.http.pathmap.PathMappings;
import org.eclipse.jetty.http.pathmap.UriTemplatePathSpec;

/** Finds the route for a method and path, telling "no such path" (404) from "wrong method" (405). */
public final class Router {

    private final PathMappings<List<Route>> mappings = new PathMappings<>();

    public Router add(Route route) {
        var spec = new UriTemplatePathSpec(route.template());
        List<Route> routes = mappings.get(spec);
        if (routes == null) {
            routes = new ArrayList<>();
            mappings.put(spec, routes);
        }
        for (Route existing : routes) {
            if (existing.method().equals(route.method())) {
                throw new IllegalStateException("duplicate route " + route.method() + " " + route.template());
            }
        }
        routes.add(route);
        return this;
    }

    public Router addAll(List<Route> routes) {
        routes.forEach(this::add);
        return this;
    }

    public Match match(String method, String path) {
        var allowed = new TreeSet<String>();
        for (MatchedResource<List<Route>> matched : mappings.getMatchedList(path)) {
            for (Route route : matched.getResource()) {
                if (route.method().equals(method)) {
                    var spec = (UriTemplatePathSpec) matched.getPathSpec();
                    return new Match.Found(route, spec.getPathParams(path));
                }
                allowed.add(route.method());
            }
        }
        return allowed.isEmpty() ? new Match.None() : new Match.WrongMethod(String.join(", ", allowed));
    }

    /** The outcome of a lookup. */
    public sealed interface Match {

        record Found(Route route, Map<String, String> pathParams) implements Match {
        }

        record WrongMethod(String allow) implements Match {
        }

        record None() implements Match {
        }
    }
}
