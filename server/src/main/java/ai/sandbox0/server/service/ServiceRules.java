package ai.sandbox0.server.service;

import ai.sandbox0.api.service.RouteAuthMode;
import ai.sandbox0.api.service.SandboxAppService;
import ai.sandbox0.api.service.SandboxAppServiceIngress;
import ai.sandbox0.api.service.SandboxAppServiceRoute;
import ai.sandbox0.api.service.SandboxAppServiceRouteAuth;
import ai.sandbox0.api.service.SandboxAppServiceRouteCors;
import ai.sandbox0.api.service.SandboxAppServiceRouteRateLimit;
import ai.sandbox0.api.service.SandboxAppServiceRuntime;
import ai.sandbox0.api.service.SandboxFunction;
import ai.sandbox0.api.service.ServiceRuntimeType;
import ai.sandbox0.server.domain.DomainException.Invalid;
import ai.sandbox0.server.domain.DomainException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Sandbox services as upstream validates and normalizes them (spec §7.1), wherever they arrive: claim
 * {@code config.services}, {@code PUT /sandboxes/{id}}, {@code PUT …/services}. Returns the normalized
 * list that is stored and shown; every failure is a 400 naming the service and field.
 */
public final class ServiceRules {

    /** procd's port: where function services are served, and never exposable as a manual or cmd service. */
    public static final int AGENT_PORT = 49983;
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final int MAX_ROUTES = 32;
    private static final int MAX_METHODS = 16;
    private static final int MAX_CORS_ENTRIES = 32;
    private static final int MAX_FUNCTION_CODE = 256 * 1024;

    private ServiceRules() {
    }

    public static List<SandboxAppService> normalize(List<SandboxAppService> services) {
        if (services == null) {
            return null;
        }
        var ids = new HashSet<String>();
        var result = new ArrayList<SandboxAppService>();
        for (int i = 0; i < services.size(); i++) {
            SandboxAppService service = services.get(i);
            String where = "services[" + i + "]";
            if (service == null) {
                throw bad(where, "must be an object");
            }
            String id = service.id() == null ? "" : service.id().strip().toLowerCase(Locale.ROOT);
            if (!DNS_LABEL.matcher(id).matches()) {
                throw bad(where, "id must be a DNS label");
            }
            if (!ids.add(id)) {
                throw bad(where, "id " + id + " is used twice");
            }
            SandboxAppServiceRuntime runtime = runtime(where, service.runtime());
            Integer port = port(where, service.port(), runtime == null ? ServiceRuntimeType.MANUAL : runtime.type());
            if (service.ingress() == null || service.ingress().isPublic() == null) {
                throw bad(where, "ingress.public is required");
            }
            var ingress = new SandboxAppServiceIngress(service.ingress().isPublic(),
                    routes(where, id, service.ingress().isPublic(), service.ingress().routes(), restartable(runtime)));
            if (service.healthCheck() != null && service.healthCheck().path() != null
                    && !service.healthCheck().path().startsWith("/")) {
                throw bad(where, "health_check.path must start with /");
            }
            result.add(new SandboxAppService(id, service.displayName(), port, runtime, ingress, service.healthCheck()));
        }
        return List.copyOf(result);
    }

    private static SandboxAppServiceRuntime runtime(String where, SandboxAppServiceRuntime runtime) {
        if (runtime == null) {
            return null; // a manual service, kept as given: its view says missing_runtime, as upstream's does
        }
        if (runtime.type() == null) {
            throw bad(where, "runtime.type is required");
        }
        return switch (runtime.type()) {
            case CMD -> {
                if (runtime.command() == null || runtime.command().isEmpty() || runtime.command().getFirst().isBlank()) {
                    throw bad(where, "runtime.command is required for cmd services");
                }
                yield new SandboxAppServiceRuntime(runtime.type(), runtime.command(), runtime.cwd(), runtime.envVars(), null);
            }
            case MANUAL -> new SandboxAppServiceRuntime(runtime.type(), runtime.command(), runtime.cwd(), runtime.envVars(), null);
            case FUNCTION -> {
                function(where, runtime.function());
                yield new SandboxAppServiceRuntime(runtime.type(), null, null, runtime.envVars(), runtime.function());
            }
        };
    }

    private static void function(String where, SandboxFunction function) {
        if (function == null) {
            throw bad(where, "runtime.function is required for function services");
        }
        if (function.runtime() == null) {
            throw bad(where, "runtime.function.runtime is required (python)");
        }
        if (function.handler() != null && !function.handler().isEmpty()
                && !function.handler().matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) {
            throw bad(where, "runtime.function.handler must be a dotted Python identifier");
        }
        if (function.source() == null || function.source().type() == null) {
            throw bad(where, "runtime.function.source.type is required (inline)");
        }
        String code = function.source().code();
        if (code == null || code.isBlank()) {
            throw bad(where, "runtime.function.source.code is required");
        }
        if (code.getBytes(StandardCharsets.UTF_8).length > MAX_FUNCTION_CODE) {
            throw bad(where, "runtime.function.source.code must be at most 256 KiB");
        }
    }

    private static Integer port(String where, Integer port, ServiceRuntimeType type) {
        if (type == ServiceRuntimeType.FUNCTION) {
            return AGENT_PORT;
        }
        if (port == null) {
            throw bad(where, "port is required for " + type.wire() + " services");
        }
        if (port < 1 || port > 65535) {
            throw bad(where, "port must be between 1 and 65535");
        }
        if (port == AGENT_PORT) {
            throw bad(where, "port " + AGENT_PORT + " is reserved for the sandbox agent");
        }
        return port;
    }

    /** A runtime the router can start again after a resume: a command or a function, not a manual server. */
    public static boolean restartable(SandboxAppServiceRuntime runtime) {
        return runtime != null && (runtime.type() == ServiceRuntimeType.CMD || runtime.type() == ServiceRuntimeType.FUNCTION);
    }

    private static List<SandboxAppServiceRoute> routes(String where, String serviceId, boolean isPublic,
            List<SandboxAppServiceRoute> routes, boolean restartable) {
        if (routes == null || routes.isEmpty()) {
            return isPublic ? List.of(new SandboxAppServiceRoute(serviceId, "/", null, null, null, null, null, null, false))
                    : List.of();
        }
        if (routes.size() > MAX_ROUTES) {
            throw bad(where, "at most " + MAX_ROUTES + " routes are allowed");
        }
        var ids = new HashSet<String>();
        var result = new ArrayList<SandboxAppServiceRoute>();
        for (int j = 0; j < routes.size(); j++) {
            SandboxAppServiceRoute route = routes.get(j);
            String at = where + ".ingress.routes[" + j + "]";
            if (route == null) {
                throw badAt(at, "must be an object");
            }
            String id = route.id() == null ? "" : route.id().strip().toLowerCase(Locale.ROOT);
            if (!DNS_LABEL.matcher(id).matches()) {
                throw badAt(at, "id must be a DNS label");
            }
            if (!ids.add(id)) {
                throw badAt(at, "id " + id + " is used twice");
            }
            if (route.resume() == null) {
                throw badAt(at, "resume is required");
            }
            // A resumed sandbox has none of its processes: waking it for a server nobody restarts serves nothing.
            if (isPublic && route.resume() && !restartable) {
                throw badAt(at, "resume requires runtime.type cmd or function");
            }
            if (route.timeoutSeconds() != null && route.timeoutSeconds() < 0) {
                throw badAt(at, "timeout_seconds must be >= 0");
            }
            result.add(new SandboxAppServiceRoute(id, prefix(route.pathPrefix(), "/"), methods(at, route.methods()),
                    route.rewritePrefix() == null ? null : prefix(route.rewritePrefix(), "/"), auth(at, route.auth()),
                    cors(at, route.cors()), rateLimit(at, route.rateLimit()), route.timeoutSeconds(), route.resume()));
        }
        return List.copyOf(result);
    }

    private static String prefix(String value, String fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        String v = value.strip();
        return v.startsWith("/") ? v : "/" + v;
    }

    private static List<String> methods(String at, List<String> methods) {
        if (methods == null || methods.isEmpty()) {
            return methods;
        }
        var result = new LinkedHashSet<String>();
        for (String method : methods) {
            if (method == null || !method.strip().matches("\\*|[A-Za-z]+")) {
                throw badAt(at, "methods must be HTTP method names or *");
            }
            result.add(method.strip().toUpperCase(Locale.ROOT));
        }
        if (result.size() > MAX_METHODS) {
            throw badAt(at, "at most " + MAX_METHODS + " methods are allowed");
        }
        return List.copyOf(result);
    }

    private static SandboxAppServiceRouteAuth auth(String at, SandboxAppServiceRouteAuth auth) {
        if (auth == null) {
            return null;
        }
        RouteAuthMode mode = auth.mode() == null ? RouteAuthMode.NONE : auth.mode();
        return switch (mode) {
            case NONE -> new SandboxAppServiceRouteAuth(mode, null, null, null);
            case BEARER -> {
                if (auth.bearerTokenSha256() == null || !SHA256_HEX.matcher(auth.bearerTokenSha256()).matches()) {
                    throw badAt(at, "auth.bearer_token_sha256 must be 64 hex digits");
                }
                yield new SandboxAppServiceRouteAuth(mode, auth.bearerTokenSha256().toLowerCase(Locale.ROOT), null, null);
            }
            case HEADER -> {
                if (auth.headerName() == null || !HEADER_NAME.matcher(auth.headerName().strip()).matches()) {
                    throw badAt(at, "auth.header_name must be a valid HTTP header name");
                }
                if (auth.headerValueSha256() == null || !SHA256_HEX.matcher(auth.headerValueSha256()).matches()) {
                    throw badAt(at, "auth.header_value_sha256 must be 64 hex digits");
                }
                yield new SandboxAppServiceRouteAuth(mode, null, canonical(auth.headerName().strip()),
                        auth.headerValueSha256().toLowerCase(Locale.ROOT));
            }
        };
    }

    /** Go's canonical MIME header form: {@code x-api-key} → {@code X-Api-Key}. */
    static String canonical(String name) {
        var out = new StringBuilder(name.length());
        boolean upper = true;
        for (char c : name.toCharArray()) {
            out.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
            upper = c == '-';
        }
        return out.toString();
    }

    private static SandboxAppServiceRouteCors cors(String at, SandboxAppServiceRouteCors cors) {
        if (cors == null) {
            return null;
        }
        for (List<String> list : Arrays.asList(cors.allowedOrigins(), cors.allowedMethods(), cors.allowedHeaders(),
                cors.exposeHeaders())) {
            if (list != null && list.size() > MAX_CORS_ENTRIES) {
                throw badAt(at, "cors lists may have at most " + MAX_CORS_ENTRIES + " entries");
            }
        }
        if (cors.maxAgeSeconds() != null && cors.maxAgeSeconds() < 0) {
            throw badAt(at, "cors.max_age_seconds must be >= 0");
        }
        return cors;
    }

    private static SandboxAppServiceRouteRateLimit rateLimit(String at, SandboxAppServiceRouteRateLimit limit) {
        if (limit == null) {
            return null;
        }
        if (limit.rps() == null || limit.rps() <= 0) {
            throw badAt(at, "rate_limit.rps must be > 0");
        }
        if (limit.burst() == null || limit.burst() <= 0) {
            throw badAt(at, "rate_limit.burst must be > 0");
        }
        return limit;
    }

    private static DomainException bad(String where, String message) {
        return new Invalid(where + ": " + message);
    }

    private static DomainException badAt(String at, String message) {
        return new Invalid(at + ": " + message);
    }
}
