package ai.sandbox0.server.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.eclipse.jetty.http.pathmap.MatchedResource;
import org.eclipse.jetty.http.pathmap.PathMappings;
import org.eclipse.jetty.http.pathmap.UriTemplatePathSpec;

/** Finds the route for a method and path, telling "no such path" (404) from "wrong method" (405). */
public final class Router {

    private final PathMappings<List<Route>> mappings = new PathMappings<>();
    private final List<Route> all = new ArrayList<>();
    private final Map<String, Route> underPrefixes = new LinkedHashMap<>();

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
        all.add(route);
        return this;
    }

    /** Every route added, in order: what the API serves (tests check each one's access). */
    public List<Route> routes() {
        return List.copyOf(all);
    }

    public Router addAll(List<Route> routes) {
        routes.forEach(this::add);
        return this;
    }

    /**
     * Answers every path at or under {@code prefix} that no route matches with {@code route} (whatever
     * the method): e.g. the 503 of a feature this host cannot serve.
     */
    public Router addUnder(String prefix, Route route) {
        underPrefixes.put(prefix, route);
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
        if (!allowed.isEmpty()) {
            return new Match.WrongMethod(String.join(", ", allowed));
        }
        for (var under : underPrefixes.entrySet()) {
            if (path.equals(under.getKey()) || path.startsWith(under.getKey() + "/")) {
                return new Match.Found(under.getValue(), Map.of());
            }
        }
        return new Match.None();
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
