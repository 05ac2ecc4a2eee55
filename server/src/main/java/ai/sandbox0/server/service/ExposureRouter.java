package ai.sandbox0.server.service;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.api.service.RouteAuthMode;
import ai.sandbox0.api.service.SandboxAppServiceRoute;
import ai.sandbox0.api.service.ServiceRuntimeType;
import ai.sandbox0.server.domain.DomainException;
import ai.sandbox0.server.http.ErrorReplies;
import ai.sandbox0.server.procd.ProcdClient;
import ai.sandbox0.server.procd.ProcdEndpoint;
import ai.sandbox0.server.sandbox.SandboxManager;
import ai.sandbox0.server.sandbox.SandboxRecord;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public request pipeline (spec §7.4), in upstream's order: host → sandbox, route, CORS preflight, method,
 * CORS, route auth, rate limit, rewrite, the sandbox's runtime (resumed on request when allowed), the reserved
 * port, the command of a cmd service ({@link ServiceCommands}), then the sandbox's port through
 * {@link SandboxProxy} or {@link WebSocketBridge}; a function service's invocation goes through
 * {@link FunctionRelay} instead. Rejections before the runtime step never wake a sandbox.
 */
public final class ExposureRouter extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(ExposureRouter.class);

    private final ExposureAddress address;
    private final SandboxManager sandboxes;
    private final SandboxProxy proxy;
    private final ExposureWebSockets webSockets;
    private final RateLimiter limits;
    private final ServiceCommands commands;
    private final FunctionRelay functions = new FunctionRelay();

    /** {@code limits} is closed with the router; {@code procd} starts the commands of cmd services. */
    public ExposureRouter(ExposureAddress address, SandboxManager sandboxes, RateLimiter limits, ProcdClient procd) {
        this.address = address;
        this.sandboxes = sandboxes;
        this.limits = limits;
        this.commands = new ServiceCommands(procd);
        this.proxy = new SandboxProxy();
        this.webSockets = new ExposureWebSockets();
        addBean(proxy);
        addBean(webSockets);
    }

    @Override
    protected void doStop() throws Exception {
        super.doStop();
        functions.close();
        limits.close();
        commands.close();
    }

    @Override
    public void setServer(org.eclipse.jetty.server.Server server) {
        super.setServer(server);
        proxy.setServer(server);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        try {
            route(request, response, callback);
        } catch (DomainException e) {
            PublicReplies.raw(response, callback, ErrorReplies.of(e, null));
        } catch (RuntimeException e) {
            LOG.warn("public request failed", e);
            PublicReplies.error(response, callback, 500, ErrorCode.INTERNAL_ERROR, "internal error");
        }
        return true;
    }

    private void route(Request request, Response response, Callback callback) throws Exception {
        String host = request.getHeaders().get(HttpHeader.HOST);
        Optional<ExposureAddress.Target> target = address.parse(host != null ? host : request.getHttpURI().getAuthority());
        if (target.isEmpty()) {
            PublicReplies.error(response, callback, 404, ErrorCode.NOT_FOUND, "not found");
            return;
        }
        String sandboxId = target.get().sandboxId();
        int port = target.get().port();
        Optional<SandboxRecord> found = sandboxes.find(sandboxId);
        if (found.isEmpty()) {
            PublicReplies.error(response, callback, 404, ErrorCode.NOT_FOUND, "sandbox " + sandboxId + " not found");
            return;
        }
        SandboxRecord sandbox = found.get();
        String path = request.getHttpURI().getCanonicalPath();
        path = path == null || path.isEmpty() ? "/" : path;
        Optional<RouteMatch> matched = RouteMatch.find(sandbox.config().services(), port, path);
        if (matched.isEmpty()) {
            PublicReplies.error(response, callback, 404, ErrorCode.NOT_FOUND, "route is not exposed");
            return;
        }
        RouteMatch match = matched.get();
        SandboxAppServiceRoute route = match.route();
        String method = request.getMethod();
        // CORS decides a preflight before the method check: browsers send OPTIONS whatever the route allows.
        RouteCors.Outcome cors = RouteCors.apply(route, method, request.getHeaders(), response.getHeaders());
        switch (cors) {
            case RouteCors.Outcome.Preflight p -> {
                PublicReplies.empty(response, callback, 204);
                return;
            }
            case RouteCors.Outcome.Refused r -> {
                PublicReplies.error(response, callback, r.status(), ErrorCode.FORBIDDEN, r.message());
                return;
            }
            case RouteCors.Outcome.Continue c -> {
            }
        }
        if (!match.methodAllowed(method)) {
            PublicReplies.error(response, callback, 405, ErrorCode.FORBIDDEN, "method is not allowed");
            return;
        }
        Optional<String> denied = RouteAuth.refusal(route.auth(), request.getHeaders());
        if (denied.isPresent()) {
            // RFC 6750: a bearer route names its scheme; a header route has no scheme to name.
            PublicReplies.error(response, callback, 401, ErrorCode.UNAUTHORIZED, denied.get(),
                    route.auth().mode() == RouteAuthMode.BEARER ? java.util.Map.of("WWW-Authenticate", "Bearer")
                            : java.util.Map.of());
            return;
        }
        if (route.rateLimit() != null) {
            String key = RateLimiter.key(sandbox.teamId(), sandboxId, match.service().id(), route.id());
            switch (limits.acquire(key, route.rateLimit().rps(), route.rateLimit().burst())) {
                case RateLimiter.Allowed a -> {
                }
                case RateLimiter.Refused r -> {
                    PublicReplies.error(response, callback, 429, ErrorCode.UNAVAILABLE, "rate limit exceeded",
                            java.util.Map.of("Retry-After", Long.toString(r.retryAfterSeconds())));
                    return;
                }
                case RateLimiter.Unavailable u -> {
                    LOG.warn("rate limiter unavailable: {}", u.reason());
                    PublicReplies.error(response, callback, 503, ErrorCode.UNAVAILABLE, "rate limiter unavailable");
                    return;
                }
            }
        }
        String upstreamPath = match.upstreamPath(path);
        if (Boolean.TRUE.equals(route.resume()) && !ServiceRules.restartable(match.service().runtime())) {
            PublicReplies.error(response, callback, 409, ErrorCode.CONFLICT,
                    "resume-enabled route requires a restartable service runtime");
            return;
        }
        Optional<ProcdEndpoint> procd = sandboxes.running(sandbox);
        if (procd.isEmpty()) {
            if (!sandbox.autoResume()) {
                PublicReplies.error(response, callback, 503, ErrorCode.UNAVAILABLE,
                        "sandbox is not running and auto_resume is disabled");
                return;
            }
            if (!Boolean.TRUE.equals(route.resume())) {
                PublicReplies.error(response, callback, 503, ErrorCode.UNAVAILABLE,
                        "sandbox is not running and resume is disabled");
                return;
            }
            procd = Optional.of(sandboxes.wake(sandboxId));
        }
        var runtime = match.service().runtime();
        if (runtime != null && runtime.type() == ServiceRuntimeType.FUNCTION) {
            if (runtime.function() == null) {
                PublicReplies.error(response, callback, 503, ErrorCode.UNAVAILABLE, "function runtime unavailable");
                return;
            }
            FunctionCall call = FunctionCall.of(match, request, upstreamPath);
            if (ExposureWebSockets.isUpgrade(request)) {
                functions.open(request, response, callback, procd.get(), call);
            } else {
                functions.serve(request, response, callback, procd.get(), call);
            }
            return;
        }
        if (port == ServiceRules.AGENT_PORT) {
            PublicReplies.error(response, callback, 403, ErrorCode.FORBIDDEN, "reserved port is not exposable");
            return;
        }
        Duration timeout = route.timeoutSeconds() != null && route.timeoutSeconds() > 0
                ? Duration.ofSeconds(route.timeoutSeconds()) : null;
        boolean command = runtime != null && runtime.type() == ServiceRuntimeType.CMD;
        if (command && !commands.ensure(sandboxId, procd.get(), match.service(),
                timeout != null ? timeout : ServiceCommands.DEFAULT_TIMEOUT)) {
            PublicReplies.error(response, callback, 503, ErrorCode.UNAVAILABLE, "sandbox service runtime unavailable");
            return;
        }
        String sandboxHost = procd.get().base().getHost();
        String query = request.getHttpURI().getQuery();
        if (ExposureWebSockets.isUpgrade(request)) {
            webSockets.bridge(request, response, callback,
                    java.net.URI.create("ws://" + sandboxHost + ":" + port + encodePath(upstreamPath)
                            + (query == null ? "" : "?" + query)));
            return;
        }
        request.setAttribute(SandboxProxy.TARGET, HttpURI.build()
                .scheme("http").host(sandboxHost).port(port).path(encodePath(upstreamPath)).query(query).asImmutable());
        if (timeout != null) {
            request.setAttribute(SandboxProxy.TIMEOUT, timeout);
        }
        if (command) {
            // The command may have died: the next request checks it again instead of trusting it is ready.
            String serviceId = match.service().id();
            request.setAttribute(SandboxProxy.ON_FAILURE, (Runnable) () -> commands.forget(sandboxId, serviceId));
        }
        proxy.handle(request, response, callback);
    }

    /** The decoded path as it goes on the wire again. */
    private static String encodePath(String path) {
        return org.eclipse.jetty.util.URIUtil.encodePath(path);
    }
}
