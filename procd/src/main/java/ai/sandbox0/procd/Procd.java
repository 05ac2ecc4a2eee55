package ai.sandbox0.procd;

import ai.sandbox0.api.context.ContextResponse;
import ai.sandbox0.api.context.CreateContextRequest;
import ai.sandbox0.api.context.ProcessState;
import ai.sandbox0.api.context.ProcessType;
import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.context.ContextRuntime;
import ai.sandbox0.procd.context.EnvLayers;
import ai.sandbox0.procd.file.FileService;
import ai.sandbox0.procd.file.FileWatcher;
import ai.sandbox0.procd.file.WatchHub;
import ai.sandbox0.procd.file.Workspace;
import ai.sandbox0.procd.function.FunctionRunner;
import ai.sandbox0.procd.function.FunctionSockets;
import ai.sandbox0.procd.http.BearerAuth;
import ai.sandbox0.procd.http.ProcdServer;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Router;
import ai.sandbox0.procd.json.ProcdJson;
import ai.sandbox0.procd.rpc.context.AttachContext;
import ai.sandbox0.procd.rpc.context.ContextExec;
import ai.sandbox0.procd.rpc.context.ContextInput;
import ai.sandbox0.procd.rpc.context.ContextStats;
import ai.sandbox0.procd.rpc.context.CreateContext;
import ai.sandbox0.procd.rpc.context.DeleteContext;
import ai.sandbox0.procd.rpc.context.GetContext;
import ai.sandbox0.procd.rpc.context.ListContexts;
import ai.sandbox0.procd.rpc.context.RelayContextFrame;
import ai.sandbox0.procd.rpc.context.ResizeContext;
import ai.sandbox0.procd.rpc.context.RestartContext;
import ai.sandbox0.procd.rpc.context.SignalContext;
import ai.sandbox0.procd.rpc.file.DeleteFile;
import ai.sandbox0.procd.rpc.function.InvokeFunction;
import ai.sandbox0.procd.rpc.function.OpenFunctionSocket;
import ai.sandbox0.procd.rpc.function.RelayFunctionFrame;
import ai.sandbox0.procd.rpc.file.ListFiles;
import ai.sandbox0.procd.rpc.file.MoveFile;
import ai.sandbox0.procd.rpc.file.ReadFile;
import ai.sandbox0.procd.rpc.file.RelayWatchFrame;
import ai.sandbox0.procd.rpc.file.StatFile;
import ai.sandbox0.procd.rpc.file.WatchFiles;
import ai.sandbox0.procd.rpc.file.WriteFile;
import ai.sandbox0.procd.sys.LibC;
import ai.sandbox0.procd.sys.Poller;
import ai.sandbox0.procd.sys.Spawner;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The composition root: wires the poller, contexts, files and routes, and starts the server. */
public final class Procd implements AutoCloseable {

    private final Poller poller;
    private final ContextRegistry contexts;
    private final ProcdServer server;

    private Procd(ProcdConfig cfg) throws Exception {
        poller = new Poller();
        EnvLayers env = new EnvLayers(System.getenv(), Map.of(), Map.of());
        if (cfg.envFile() != null) {
            EnvDefaults d = ProcdJson.read(Files.readAllBytes(cfg.envFile()), EnvDefaults.class);
            env.set(d.template(), d.sandbox());
        }
        contexts = new ContextRegistry(new ContextRuntime(poller, env, cfg.workspace(), cfg.outputMaxBytes(),
                cfg.outputMaxFrames(), cfg.execTimeoutMillis(), 2_000, cfg.contextTtlSec(),
                cfg.contextIdleTimeoutSec(), cfg.finishedRetentionSec(), cfg.maxFinished(), Path.of("/proc"),
                Path.of("/sys/fs/cgroup")));
        Workspace workspace = new Workspace(cfg.workspace());
        FileService files = new FileService(workspace);
        WatchHub watches = new WatchHub(new FileWatcher(poller), workspace);
        FunctionRunner functions = new FunctionRunner(poller, env, cfg.workspace());
        FunctionSockets functionSockets = new FunctionSockets();

        String c = "/api/v1/contexts";
        String f = "/api/v1/files";
        String fn = "/api/v1/functions";
        Router router = new Router()
                .add("GET", c, new ListContexts(contexts))
                .add("POST", c, new CreateContext(contexts))
                .add("GET", c + "/{id}", new GetContext(contexts))
                .add("DELETE", c + "/{id}", new DeleteContext(contexts))
                .add("POST", c + "/{id}/restart", new RestartContext(contexts))
                .add("POST", c + "/{id}/input", new ContextInput(contexts))
                .add("POST", c + "/{id}/exec", new ContextExec(contexts))
                .add("POST", c + "/{id}/resize", new ResizeContext(contexts))
                .add("POST", c + "/{id}/signal", new SignalContext(contexts))
                .add("GET", c + "/{id}/stats", new ContextStats(contexts))
                .add("GET", c + "/{id}/stream", new AttachContext(contexts))
                .add("POST", c + "/{id}/stream", new RelayContextFrame(contexts))
                .add("GET", f, new ReadFile(files))
                .add("POST", f, new WriteFile(files))
                .add("DELETE", f, new DeleteFile(files))
                .add("POST", f + "/move", new MoveFile(files))
                .add("GET", f + "/stat", new StatFile(files))
                .add("GET", f + "/list", new ListFiles(files))
                .add("GET", f + "/watch", new WatchFiles(watches))
                .add("POST", f + "/watch/{stream}", new RelayWatchFrame(watches))
                .add("DELETE", f + "/watch/{stream}", new RelayWatchFrame(watches))
                .add("POST", fn + "/invoke", new InvokeFunction(functions))
                .add("POST", fn + "/ws", new OpenFunctionSocket(functions, functionSockets))
                .add("POST", fn + "/ws/{stream}", new RelayFunctionFrame(functionSockets))
                .add("DELETE", fn + "/ws/{stream}", new RelayFunctionFrame(functionSockets))
                .add("GET", "/api/v1/env", call -> Reply.ok(new EnvDefaults(env.template(), env.sandbox())))
                .add("PUT", "/api/v1/env", call -> {
                    EnvDefaults d = call.json(EnvDefaults.class);
                    env.set(d.template(), d.sandbox());
                    return Reply.ok(new EnvDefaults(env.template(), env.sandbox()));
                });
        server = new ProcdServer(new InetSocketAddress(cfg.bind(), cfg.port()), router, new BearerAuth(cfg.token()));
        // The node sees procd ready when its port accepts a connection, so the line goes first: whoever
        // saw procd ready finds it in the log. An ephemeral port (tests, training) is known only once
        // bound, and whoever asked for one reads it from this line anyway.
        if (cfg.port() != 0) {
            announce(cfg.port());
        }
        int port = server.listen();
        if (cfg.port() == 0) {
            announce(port);
        }
        server.markServing();
        server.start();
        var client = new LoopbackClient(server.port(), cfg.token());
        Thread.ofVirtual().name("warm-up").start(() -> {
            try {
                Thread.sleep(WARM_UP_DELAY_MILLIS);
                if (server.called()) {
                    server.awaitFirstAnswer(WARM_UP_WAIT_MILLIS);
                } else {
                    warmUp(client);
                }
            } catch (InterruptedException e) {
                return;
            }
            server.markWarm();
        });
    }

    /**
     * A sandbox claimed cold gets its first command within milliseconds of turning healthy, and that
     * command warms the path itself; a warm-up then would only compete with it for the CPU. A pool
     * sandbox sees no command for a while: it warms up.
     */
    static final long WARM_UP_DELAY_MILLIS = 50;
    private static final long WARM_UP_WAIT_MILLIS = 2_000;

    /**
     * One short command through procd's own HTTP API, unless a real one came first: the first request
     * pays for the HTTP server's and the context path's first run (tens of milliseconds interpreted,
     * several times that at a sandbox's CPU quota), which would otherwise land on the first command
     * of a sandbox taken from a pool. {@code /readyz} turns 200 when it is done, and the node keeps
     * the sandbox's CPU unthrottled until then. An image without {@code true} only skips the spawn.
     */
    private void warmUp(LoopbackClient client) {
        try {
            String created = client.call("POST", "/api/v1/contexts",
                    "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"true\"]},\"wait_until_done\":true}");
            int at = created.indexOf("\"id\":\"");
            if (at >= 0) {
                client.call("DELETE", "/api/v1/contexts/" + created.substring(at + 6, created.indexOf('"', at + 6)), null);
            }
            client.call("GET", "/api/v1/contexts", null);
        } catch (IOException | RuntimeException e) {
            Log.debug("warm-up skipped: " + e.getMessage());
        }
    }

    /**
     * What a new sandbox's first command needs and the JVM builds only on first use, built on a second
     * thread while {@link #start} runs, in the order the first command needs them: the downcall stub,
     * the codecs. Interpreted, that is tens of milliseconds of CPU that would otherwise sit between the
     * user's first command and its answer.
     */
    private static void prewarm() {
        try {
            LibC.prewarm();
            Spawner.prewarm();
            ProcdJson.read(PREWARM_REQUEST, CreateContextRequest.class);
            ProcdJson.ok(new ContextResponse("ctx", ProcessType.CMD, null, List.of("true"), "/", Map.of("A", "b"),
                    false, false, Instant.now(), "", 0, ProcessState.STOPPED));
        } catch (RuntimeException e) {
            Log.debug("prewarm skipped: " + e.getMessage());
        }
    }

    private static final byte[] PREWARM_REQUEST = ("{\"type\":\"cmd\",\"cmd\":{\"command\":[\"true\"]},"
            + "\"wait_until_done\":true,\"env_vars\":{\"A\":\"b\"},\"ttl_sec\":1}").getBytes(StandardCharsets.UTF_8);

    private static void announce(int port) {
        System.out.println("procd ready port=" + port);
        System.out.flush();
    }

    public static Procd start(ProcdConfig cfg) throws Exception {
        return new Procd(cfg);
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
        contexts.close();
        poller.close();
    }

    public static void main(String[] args) throws Exception {
        ProcdConfig cfg;
        try {
            cfg = ProcdConfig.from(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("procd: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (cfg.train()) {
            Training.run(cfg);
            return;
        }
        // The stubs and codecs a first command needs, built on the second CPU while the server starts.
        Thread.ofPlatform().daemon().name("prewarm").start(Procd::prewarm);
        Procd procd = start(cfg);
        Runtime.getRuntime().addShutdownHook(new Thread(procd::close));
        // Serving, the main thread has nothing left to do: it loads what the first answer needs last
        // (the Date header's locale data) while the prewarm thread still builds what it needs first.
        ProcdServer.prewarm();
    }
}
