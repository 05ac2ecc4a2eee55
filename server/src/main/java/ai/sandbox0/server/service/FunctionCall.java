package ai.sandbox0.server.service;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.service.SandboxAppService;
import ai.sandbox0.api.service.SandboxAppServiceRoute;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.server.Request;

/**
 * One invocation of a function service, as procd takes it (docs/procd-protocol.md, "Functions"): the function, the
 * service runtime's {@code env_vars} (procd adds the sandbox's own env beneath them), the route's timeout, and the
 * public request as the handler sees it, path already rewritten.
 */
record FunctionCall(SandboxAppService service, SandboxAppServiceRoute route, String method, String path,
        String rawQuery, Map<String, List<String>> headers) {

    /**
     * The public request's headers, name as the client first spelled it → every value, in order; the
     * {@code X-Forwarded-*} identity is the listener's, as a proxied service gets it, never the client's.
     */
    static FunctionCall of(RouteMatch match, Request request, String upstreamPath) {
        Map<String, String> spelling = new LinkedHashMap<>();
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (HttpField field : request.getHeaders()) {
            if (field.getName().startsWith(":") || ForwardedIdentity.isClientClaim(field.getLowerCaseName())) {
                continue;
            }
            String name = spelling.computeIfAbsent(field.getLowerCaseName(), lower -> field.getName());
            headers.computeIfAbsent(name, n -> new java.util.ArrayList<>()).add(field.getValue());
        }
        ForwardedIdentity.of(request).forEach((name, value) -> headers.put(name, List.of(value)));
        String query = request.getHttpURI().getQuery();
        return new FunctionCall(match.service(), match.route(), request.getMethod().toUpperCase(Locale.ROOT),
                upstreamPath, query == null ? "" : query, headers);
    }

    /** The JSON procd expects; a WebSocket invocation carries no body. */
    byte[] json(byte[] body) {
        ObjectNode call = Json.mapper().createObjectNode();
        call.put("service_id", service.id());
        call.put("route_id", route.id());
        call.set("function", Json.mapper().valueToTree(service.runtime().function()));
        call.set("env_vars", Json.mapper().valueToTree(
                service.runtime().envVars() == null ? Map.of() : service.runtime().envVars()));
        call.put("timeout_seconds", route.timeoutSeconds() == null ? 0 : route.timeoutSeconds());
        ObjectNode req = call.putObject("request");
        req.put("service_id", service.id());
        req.put("route_id", route.id());
        req.put("method", method);
        req.put("path", path);
        req.put("raw_query", rawQuery);
        req.set("headers", Json.mapper().valueToTree(headers));
        if (body != null) {
            req.put("body_base64", Base64.getEncoder().encodeToString(body));
        }
        return Json.write(call);
    }
}
