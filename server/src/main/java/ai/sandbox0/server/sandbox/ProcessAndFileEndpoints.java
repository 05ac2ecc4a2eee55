package ai.sandbox0.server.sandbox;

import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.RequestIds;
import ai.sandbox0.server.http.Route;
import ai.sandbox0.server.procd.ContextStreamRelay;
import ai.sandbox0.server.procd.ProcdClient;
import ai.sandbox0.server.procd.ProcdEndpoint;
import ai.sandbox0.server.procd.WatchStreamRelay;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Contexts and files of a sandbox (spec §5, §6): every call is passed to the sandbox's procd as it is,
 * bodies streamed both ways, and the two streams become the upstream WebSockets. The gateway adds
 * authentication, team scoping and auto-resume; procd owns the behaviour and its error codes.
 */
public final class ProcessAndFileEndpoints {

    private static final String SANDBOX = "/api/v1/sandboxes/{id}";
    private static final List<String> FORWARDED = List.of("Content-Type", "Accept");

    private final SandboxAccess access;
    private final ProcdClient client;

    public ProcessAndFileEndpoints(SandboxAccess access, ProcdClient client) {
        this.access = access;
        this.client = client;
    }

    public List<Route> routes() {
        var routes = new ArrayList<Route>();
        read("/contexts", routes);
        write("POST", "/contexts", routes);
        read("/contexts/{ctx}", routes);
        write("DELETE", "/contexts/{ctx}", routes);
        for (String action : List.of("restart", "input", "exec", "resize", "signal")) {
            write("POST", "/contexts/{ctx}/" + action, routes);
        }
        read("/contexts/{ctx}/stats", routes);
        routes.add(Route.requires(Permission.SANDBOX_WRITE, "GET", SANDBOX + "/contexts/{ctx}/ws", call -> {
            ProcdEndpoint procd = access.procdFor(call.principal(), call.pathParam("id"));
            String context = call.pathParam("ctx");
            return new Reply.Upgrade((request, response, callback) -> new ContextStreamRelay(client, procd, context));
        }));
        read("/files", routes);
        write("POST", "/files", routes);
        write("DELETE", "/files", routes);
        read("/files/stat", routes);
        read("/files/list", routes);
        write("POST", "/files/move", routes);
        routes.add(Route.requires(Permission.SANDBOX_READ, "GET", SANDBOX + "/files/watch", call -> {
            ProcdEndpoint procd = access.procdFor(call.principal(), call.pathParam("id"));
            return new Reply.Upgrade((request, response, callback) -> new WatchStreamRelay(client, procd));
        }));
        return routes;
    }

    private void read(String path, List<Route> routes) {
        routes.add(Route.requires(Permission.SANDBOX_READ, "GET", SANDBOX + path, this::forward));
    }

    private void write(String method, String path, List<Route> routes) {
        routes.add(Route.requires(Permission.SANDBOX_WRITE, method, SANDBOX + path, this::forward));
    }

    private Reply forward(Call call) {
        ProcdEndpoint procd = access.procdFor(call.principal(), call.pathParam("id"));
        String prefix = "/api/v1/sandboxes/" + call.pathParam("id");
        String path = "/api/v1" + call.path().substring(prefix.length());
        String query = call.rawQuery();
        var headers = new HashMap<String, String>();
        for (String name : FORWARDED) {
            String value = call.header(name);
            if (value != null) {
                headers.put(name, value);
            }
        }
        headers.put(RequestIds.HEADER, call.requestId());
        boolean hasBody = call.contentLength() != 0 && !call.method().equals("GET") && !call.method().equals("DELETE");
        HttpResponse<InputStream> answer = client.call(procd, call.method(), query == null ? path : path + "?" + query,
                headers, hasBody ? call.bodyStream() : null, hasBody ? call.contentLength() : 0);
        return new Reply.Stream(answer.statusCode(), answer.headers().firstValue("Content-Type").orElse(null), Map.of(),
                answer.body());
    }
}
