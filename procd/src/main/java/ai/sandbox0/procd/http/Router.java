package ai.sandbox0.procd.http;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Method + path template ({@code /api/v1/contexts/{id}}) → RPC. */
public final class Router {

    private record Route(String method, String[] segments, Rpc rpc) {
    }

    /** A match: the RPC and its path parameters; or the path exists with other methods only. */
    public record Match(Rpc rpc, Map<String, String> params, boolean methodNotAllowed) {
    }

    private final List<Route> routes = new ArrayList<>();

    public Router add(String method, String template, Rpc rpc) {
        routes.add(new Route(method, split(template), rpc));
        return this;
    }

    public Match match(String method, String path) {
        String[] parts = split(path);
        boolean pathKnown = false;
        for (Route r : routes) {
            Map<String, String> params = bind(r.segments, parts);
            if (params == null) {
                continue;
            }
            pathKnown = true;
            if (r.method.equals(method) || (method.equals("HEAD") && r.method.equals("GET"))) {
                return new Match(r.rpc, params, false);
            }
        }
        return pathKnown ? new Match(null, Map.of(), true) : null;
    }

    private static Map<String, String> bind(String[] template, String[] parts) {
        if (template.length != parts.length) {
            return null;
        }
        Map<String, String> params = new HashMap<>(2);
        for (int i = 0; i < template.length; i++) {
            String t = template[i];
            if (t.startsWith("{")) {
                params.put(t.substring(1, t.length() - 1), parts[i]);
            } else if (!t.equals(parts[i])) {
                return null;
            }
        }
        return params;
    }

    private static String[] split(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.isEmpty() ? new String[0] : p.split("/", -1);
    }
}
