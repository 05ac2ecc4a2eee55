package ai.sandbox0.procd;

import static ai.sandbox0.procd.ProcdProcess.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Sandbox Functions (§7.6) through procd: a real python3 per request, answered as the public response. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FunctionTest {

    ProcdProcess procd;
    Path envFile;

    @BeforeAll
    void start() throws Exception {
        Interpreters.require("python3");
        envFile = Files.createTempFile("procd-env", ".json");
        Files.writeString(envFile, "{\"template\":{\"LAYER\":\"template\"},\"sandbox\":{\"LAYER\":\"sandbox\",\"S_ONLY\":\"s\"}}");
        procd = ProcdProcess.start("--env-file", envFile.toString());
    }

    @AfterAll
    void stop() throws Exception {
        procd.close();
        ProcdProcess.delete(envFile);
    }

    record Answer(int status, byte[] body, java.net.http.HttpHeaders headers) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() throws IOException {
            return Json.mapper().readTree(body);
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    static Map<String, Object> invocation(String code, Map<String, Object> request, Map<String, Object> extra) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("service_id", "api");
        body.put("route_id", "r1");
        body.put("function", Map.of("runtime", "python", "handler", "handler",
                "source", Map.of("type", "inline", "code", code)));
        Map<String, Object> req = new LinkedHashMap<>(Map.of("service_id", "api", "route_id", "r1", "method", "POST",
                "path", "/hello", "raw_query", "a=1&b=2", "headers", Map.of("Content-Type", List.of("text/plain")),
                "body_base64", Base64.getEncoder().encodeToString("ping".getBytes(StandardCharsets.UTF_8))));
        req.putAll(request);
        body.put("request", req);
        body.putAll(extra);
        return body;
    }

    Answer invokeRaw(String json) throws Exception {
        HttpResponse<byte[]> r = procd.http.send(procd.request("/api/v1/functions/invoke")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(r.statusCode(), r.body(), r.headers());
    }

    Answer invoke(String code) throws Exception {
        return invoke(code, Map.of(), Map.of());
    }

    Answer invoke(String code, Map<String, Object> request, Map<String, Object> extra) throws Exception {
        return invokeRaw(Json.writeString(invocation(code, request, extra)));
    }

    @Test
    void noneIsNoContent() throws Exception {
        Answer a = invoke("def handler(request):\n    return None\n");
        assertThat(a.status()).isEqualTo(204);
        assertThat(a.body()).isEmpty();
        assertThat(a.header("Sandbox0-Function-Response")).isEqualTo("true");
    }

    @Test
    void aResponseObjectSetsStatusHeadersAndARawBody() throws Exception {
        Answer a = invoke("""
                def handler(request):
                    return {"status": 201, "headers": {"X-One": "1", "X-Many": ["a", "b"], "Content-Type": "text/plain"},
                            "body": "created"}
                """);
        assertThat(a.status()).isEqualTo(201);
        assertThat(a.text()).isEqualTo("created");
        assertThat(a.header("X-One")).isEqualTo("1");
        assertThat(a.headers().allValues("X-Many")).containsExactly("a", "b");
        assertThat(a.header("Content-Type")).isEqualTo("text/plain");
    }

    @Test
    void bytesAndBase64BodiesAreSentAsTheyAre() throws Exception {
        Answer bytes = invoke("def handler(request):\n    return {\"body\": bytes([0, 1, 254, 255])}\n");
        assertThat(bytes.status()).isEqualTo(200);
        assertThat(bytes.body()).containsExactly(0, 1, 254, 255);
        assertThat(bytes.header("Content-Type")).isNull();
        Answer b64 = invoke("def handler(request):\n    return {\"status\": 202, \"body_base64\": \"AAH+/w==\"}\n");
        assertThat(b64.status()).isEqualTo(202);
        assertThat(b64.body()).containsExactly(0, 1, 254, 255);
        Answer bare = invoke("def handler(request):\n    return b'raw'\n");
        assertThat(bare.text()).isEqualTo("raw");
    }

    @Test
    void otherBodiesAreJsonWithAJsonContentTypeUnlessOneIsGiven() throws Exception {
        Answer obj = invoke("def handler(request):\n    return {\"body\": {\"n\": 1, \"list\": [1, 2]}}\n");
        assertThat(obj.status()).isEqualTo(200);
        assertThat(obj.header("Content-Type")).isEqualTo("application/json");
        assertThat(obj.json().get("list").get(1).asInt()).isEqualTo(2);
        Answer typed = invoke("def handler(request):\n    return {\"headers\": {\"content-type\": \"application/x-custom\"}, \"body\": [1]}\n");
        assertThat(typed.header("Content-Type")).isEqualTo("application/x-custom");
        assertThat(typed.text()).isEqualTo("[1]");
    }

    @Test
    void aResponseObjectWithoutBodyHasAnEmptyBody() throws Exception {
        Answer a = invoke("def handler(request):\n    return {\"message\": \"this is not a body\"}\n");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body()).isEmpty();
        Answer missing = invoke("def handler(request):\n    return {\"status\": 404}\n");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body()).isEmpty();
    }

    @Test
    void anyOtherValueIsTheJsonBodyOfA200() throws Exception {
        Answer list = invoke("def handler(request):\n    return [1, \"two\", None]\n");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.header("Content-Type")).isEqualTo("application/json");
        assertThat(list.json().toString()).isEqualTo("[1,\"two\",null]");
        Answer text = invoke("def handler(request):\n    return 'hi'\n");
        assertThat(text.text()).isEqualTo("\"hi\"");
        Answer number = invoke("def handler(request):\n    return 42\n");
        assertThat(number.text()).isEqualTo("42");
    }

    @Test
    void theHandlerSeesTheRequest() throws Exception {
        Answer a = invoke("""
                import base64
                def handler(request):
                    request["body"] = base64.b64decode(request["body_base64"]).decode()
                    return {"body": request}
                """);
        JsonNode seen = a.json();
        assertThat(seen.get("service_id").asText()).isEqualTo("api");
        assertThat(seen.get("route_id").asText()).isEqualTo("r1");
        assertThat(seen.get("method").asText()).isEqualTo("POST");
        assertThat(seen.get("path").asText()).isEqualTo("/hello");
        assertThat(seen.get("raw_query").asText()).isEqualTo("a=1&b=2");
        assertThat(seen.get("headers").get("Content-Type").get(0).asText()).isEqualTo("text/plain");
        assertThat(seen.get("body").asText()).isEqualTo("ping");
    }

    @Test
    void asyncHandlersAndDottedHandlersWork() throws Exception {
        Answer a = invoke("""
                import asyncio
                async def handler(request):
                    await asyncio.sleep(0.01)
                    return {"status": 200, "body": "from a coroutine"}
                """);
        assertThat(a.text()).isEqualTo("from a coroutine");
        Map<String, Object> inv = invocation("", Map.of(), Map.of());
        inv.put("function", Map.of("runtime", "python", "handler", "App.serve",
                "source", Map.of("type", "inline", "code", "class App:\n    @staticmethod\n    def serve(request):\n        return {'body': 'dotted'}\n")));
        assertThat(invokeRaw(Json.writeString(inv)).text()).isEqualTo("dotted");
    }

    @Test
    void printsAndChildOutputNeverReachTheResponse() throws Exception {
        Answer a = invoke("""
                import os, subprocess, sys
                print("module level noise")
                def handler(request):
                    print("noise " * 1000)
                    sys.stdout.flush()
                    sys.stderr.write("more noise\\n")
                    os.write(1, b"raw fd 1 noise")
                    os.write(2, b"raw fd 2 noise")
                    subprocess.run(["echo", "child noise"], check=True)
                    return {"body": "clean"}
                """);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.text()).isEqualTo("clean");
    }

    @Test
    void envIsTheSandboxEnvPlusEnvVarsAndCwdIsTheWorkspace() throws Exception {
        Answer a = invoke("""
                import os
                def handler(request):
                    return {"body": {k: os.environ.get(k) for k in ("LAYER", "S_ONLY", "FN_VAR", "SANDBOX0_PROCD_TOKEN")}
                            | {"cwd": os.getcwd()}}
                """, Map.of(), Map.of("env_vars", Map.of("FN_VAR", "fn", "LAYER", "function")));
        JsonNode env = a.json();
        assertThat(env.get("FN_VAR").asText()).isEqualTo("fn");
        assertThat(env.get("LAYER").asText()).isEqualTo("function");
        assertThat(env.get("S_ONLY").asText()).isEqualTo("s");
        assertThat(env.get("SANDBOX0_PROCD_TOKEN").isNull()).isTrue();
        assertThat(Path.of(env.get("cwd").asText()).toRealPath()).isEqualTo(procd.workspace.toRealPath());
    }

    @Test
    void sseChunksArriveBeforeTheHandlerFinishes() throws Exception {
        assertStreamsChunkByChunk("""
                import os, time
                def handler(request):
                    def events():
                        yield "data: one\\n\\n"
                        while not os.path.exists("%s"):
                            time.sleep(0.01)
                        yield b"data: two\\n\\n"
                        yield {"n": 3}
                    return {"headers": {"X-Stream": "yes"}, "body": events()}
                """);
        assertStreamsChunkByChunk("""
                import asyncio, os
                async def handler(request):
                    async def events():
                        yield "data: one\\n\\n"
                        while not os.path.exists("%s"):
                            await asyncio.sleep(0.01)
                        yield b"data: two\\n\\n"
                        yield {"n": 3}
                    return {"headers": {"X-Stream": "yes"}, "body": events()}
                """);
    }

    /** The handler holds its second chunk until the test has read the first: the first came while it ran. */
    private void assertStreamsChunkByChunk(String codeTemplate) throws Exception {
        String gate = "gate-" + UUID.randomUUID();
        String json = Json.writeString(invocation(codeTemplate.formatted(gate),
                Map.of("method", "GET", "headers", Map.of("Accept", List.of("text/event-stream"))), Map.of()));
        HttpResponse<InputStream> r = procd.http.send(procd.request("/api/v1/functions/invoke")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("text/event-stream");
            assertThat(r.headers().firstValue("X-Stream")).hasValue("yes");
            var lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            assertThat(lines.readLine()).isEqualTo("data: one");
            assertThat(lines.readLine()).isEmpty();
            Files.writeString(procd.workspace.resolve(gate), "go");
            assertThat(lines.readLine()).isEqualTo("data: two");
            assertThat(lines.readLine()).isEmpty();
            assertThat(lines.readLine()).isEqualTo("data: {\"n\": 3}");
            assertThat(lines.readLine()).isEmpty();
            assertThat(lines.readLine()).isNull();
        } finally {
            Files.deleteIfExists(procd.workspace.resolve(gate));
        }
    }

    @Test
    void withoutAnEventStreamAcceptAGeneratorBodyIsCollected() throws Exception {
        Answer a = invoke("""
                def handler(request):
                    return {"headers": {"Content-Type": "text/plain"}, "body": (s for s in ["a", "b", "c"])}
                """);
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.text()).isEqualTo("abc");
        assertThat(a.header("Content-Length")).isEqualTo("3");
    }

    @Test
    void aRaisingHandlerIs500FunctionFailedWithoutTheTraceback() throws Exception {
        Answer a = invoke("""
                def handler(request):
                    raise ValueError("the answer is not 42")
                """);
        assertThat(a.status()).isEqualTo(500);
        JsonNode error = a.json().get("error");
        assertThat(error.get("code").asText()).isEqualTo("function_failed");
        assertThat(error.get("message").asText()).contains("ValueError: the answer is not 42")
                .doesNotContain("Traceback").doesNotContain("function.py");
        assertThat(a.header("Sandbox0-Function-Response")).isNull();
        eventually(Duration.ofSeconds(10), () -> log().contains("Traceback") && log().contains("the answer is not 42"),
                "the traceback in procd's log");
        Answer syntax = invoke("def handler(request) return 1\n");
        assertThat(syntax.status()).isEqualTo(500);
        assertThat(syntax.json().get("error").get("message").asText()).contains("SyntaxError");
        Answer missing = invoke("def other(request):\n    return 1\n");
        assertThat(missing.status()).isEqualTo(500);
        assertThat(missing.json().get("error").get("message").asText()).contains("'handler' is not defined");
        Answer died = invoke("import os\ndef handler(request):\n    os._exit(3)\n");
        assertThat(died.status()).isEqualTo(500);
        assertThat(died.json().get("error").get("message").asText()).contains("exit status 3");
    }

    @Test
    void anInvalidResponseIs502() throws Exception {
        Answer status = invoke("def handler(request):\n    return {\"status\": 99}\n");
        assertThat(status.status()).isEqualTo(502);
        assertThat(status.json().get("error").get("message").asText()).contains("status must be an integer from 100 to 599");
        Answer header = invoke("def handler(request):\n    return {\"headers\": {\"X-Bad\": \"a\\r\\nInjected: 1\"}, \"body\": \"x\"}\n");
        assertThat(header.status()).isEqualTo(502);
        assertThat(header.headers().firstValue("Injected")).isEmpty();
    }

    @Test
    void aSlowHandlerIs504AndItsWholeProcessTreeIsKilled() throws Exception {
        String marker = "fn-sleeper-" + UUID.randomUUID();
        Answer a = invoke("""
                import subprocess, sys, time
                def handler(request):
                    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "%s"])
                    time.sleep(300)
                """.formatted(marker), Map.of(), Map.of("timeout_seconds", 1));
        assertThat(a.status()).isEqualTo(504);
        assertThat(a.json().get("error").get("code").asText()).isEqualTo("unavailable");
        assertThat(a.json().get("error").get("message").asText()).isEqualTo("function execution timed out");
        eventually(Duration.ofSeconds(10), () -> processesWith(marker) == 0, "the function's child to be killed");
    }

    @Test
    void aResponseOver8MiBIs502AndOneOfExactly8MiBIsSent() throws Exception {
        Answer over = invoke("def handler(request):\n    return {\"body\": b\"x\" * (8 * 1024 * 1024 + 1)}\n");
        assertThat(over.status()).isEqualTo(502);
        assertThat(over.json().get("error").get("message").asText()).isEqualTo("function response is too large");
        Answer exact = invoke("def handler(request):\n    return {\"body\": b\"x\" * (8 * 1024 * 1024)}\n");
        assertThat(exact.status()).isEqualTo(200);
        assertThat(exact.body()).hasSize(8 * 1024 * 1024);
        Answer pieces = invoke("def handler(request):\n    return {\"body\": (b\"x\" * (1024 * 1024) for _ in range(9))}\n");
        assertThat(pieces.status()).isEqualTo(502);
    }

    @Test
    void anEightMiBRequestBodyReachesTheHandler() throws Exception {
        byte[] body = new byte[8 * 1024 * 1024];
        java.util.Arrays.fill(body, (byte) 'y');
        body[body.length - 1] = 'z';
        Answer a = invoke("""
                import base64
                def handler(request):
                    data = base64.b64decode(request["body_base64"])
                    return {"body": {"size": len(data), "last": data[-1:].decode()}}
                """, Map.of("body_base64", Base64.getEncoder().encodeToString(body)), Map.of());
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.json().get("size").asInt()).isEqualTo(8 * 1024 * 1024);
        assertThat(a.json().get("last").asText()).isEqualTo("z");
    }

    /** procd runs with a 32 MiB heap in a sandbox: a body of the limit, each way, must fit in it. */
    @Test
    void bodiesOfTheLimitPassOnProcdsSandboxHeap() throws Exception {
        try (ProcdProcess small = ProcdProcess.start(Map.of(), List.of("-Xmx32m", "-Xms4m", "-Xmn2m"))) {
            ProcdProcess main = procd;
            procd = small;
            try {
                anEightMiBRequestBodyReachesTheHandler();
                Answer exact = invoke("def handler(request):\n    return {\"body\": b\"x\" * (8 * 1024 * 1024)}\n");
                assertThat(exact.status()).isEqualTo(200);
                assertThat(exact.body()).hasSize(8 * 1024 * 1024);
            } finally {
                procd = main;
            }
        }
    }

    @Test
    void badInvocationsAre400() throws Exception {
        String ok = "def handler(request):\n    return 1\n";
        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("{\"request\":{}}", "function is required");
        rows.put(Json.writeString(Map.of("function", Map.of("runtime", "python"))), "function.source is required");
        rows.put(Json.writeString(Map.of("function", Map.of("runtime", "node", "source", Map.of("type", "inline", "code", ok)))),
                "function.runtime");
        rows.put(Json.writeString(Map.of("function", Map.of("runtime", "python", "source", Map.of("type", "url", "code", ok)))),
                "function.source.type");
        rows.put(Json.writeString(Map.of("function", Map.of("runtime", "python", "handler", "not-valid",
                "source", Map.of("type", "inline", "code", ok)))), "function.handler");
        rows.put(Json.writeString(Map.of("function", Map.of("runtime", "python", "handler", "a..b",
                "source", Map.of("type", "inline", "code", ok)))), "function.handler");
        rows.put(Json.writeString(Map.of("function", Map.of("runtime", "python", "source", Map.of("type", "inline", "code", " \n\t")))),
                "function.source.code is required");
        rows.put(Json.writeString(Map.of("function", Map.of("runtime", "python",
                "source", Map.of("type", "inline", "code", "#" + "x".repeat(256 * 1024))))), "exceeds 262144 bytes");
        rows.put(Json.writeString(Map.of("function", Map.of("runtime", "python", "source", Map.of("type", "inline", "code", ok)),
                "timeout_seconds", -1)), "timeout_seconds");
        rows.put("{\"function\":", "malformed JSON");
        for (var row : rows.entrySet()) {
            Answer a = invokeRaw(row.getKey());
            assertThat(a.status()).as(row.getKey().substring(0, Math.min(80, row.getKey().length()))).isEqualTo(400);
            assertThat(a.json().get("error").get("code").asText()).isEqualTo("bad_request");
            assertThat(a.json().get("error").get("message").asText()).contains(row.getValue());
        }
        // 256 KiB exactly is accepted, escapes and all.
        String largest = "def handler(request):\n    return {'body': 'big \u00e9\u2713 \\\"q\\\"\\t'}\n#";
        largest += "x".repeat(256 * 1024 - largest.getBytes(StandardCharsets.UTF_8).length);
        assertThat(invoke(largest).text()).isEqualTo("big \u00e9\u2713 \"q\"\t");
    }

    @Test
    void withoutPython3InItsPathTheRuntimeIsUnavailable() throws Exception {
        Answer a = invoke("def handler(request):\n    return 1\n", Map.of(), Map.of("env_vars", Map.of("PATH", "/nonexistent")));
        assertThat(a.status()).isEqualTo(503);
        assertThat(a.json().get("error").get("code").asText()).isEqualTo("unavailable");
        assertThat(a.json().get("error").get("message").asText()).isEqualTo("function runtime unavailable");
        var ws = procd.post("/api/v1/functions/ws", Json.writeString(invocation("async def handler(r, ws):\n    pass\n",
                Map.of(), Map.of("env_vars", Map.of("PATH", "/nonexistent")))));
        assertThat(ws.status()).isEqualTo(503);
        assertThat(ws.message()).isEqualTo("function runtime unavailable");
    }

    // ---- WebSocket functions

    static final String ECHO = """
            async def handler(request, ws):
                await ws.send("hello " + request["path"])
                async for message in ws:
                    await ws.send(message)
            """;

    @Test
    void aWebSocketFunctionEchoesTextAndBinaryApartAndEndsWhenTheClientCloses() throws Exception {
        try (var lines = openSocket(ECHO)) {
            String stream = lines.response().headers().firstValue("Sandbox0-Function-Stream").orElseThrow();
            var it = lines.iterator();
            assertThat(lines.next(it).toString()).isEqualTo("{\"type\":\"text\",\"data\":\"hello /hello\"}");
            assertThat(procd.post("/api/v1/functions/ws/" + stream, "{\"not\":\"parsed\"}").status()).isEqualTo(200);
            assertThat(lines.next(it).toString()).isEqualTo("{\"type\":\"text\",\"data\":\"{\\\"not\\\":\\\"parsed\\\"}\"}");
            assertThat(procd.postBytes("/api/v1/functions/ws/" + stream, new byte[] {0, 1, (byte) 255}).status())
                    .isEqualTo(200);
            JsonNode binary = lines.next(it);
            assertThat(binary.get("type").asText()).isEqualTo("binary");
            assertThat(Base64.getDecoder().decode(binary.get("data_base64").asText())).containsExactly(0, 1, 255);
            assertThat(procd.delete("/api/v1/functions/ws/" + stream).status()).isEqualTo(200);
            assertThat(lines.next(it).toString()).isEqualTo("{\"type\":\"close\",\"code\":1000,\"reason\":\"\"}");
            assertThat(lines.next(it)).isNull();
            assertThat(procd.post("/api/v1/functions/ws/" + stream, "late").status()).isEqualTo(404);
        }
    }

    @Test
    void aRaisingWebSocketFunctionClosesWith1011AndOneThatClosesChoosesItsCode() throws Exception {
        try (var lines = openSocket("""
                async def handler(request, ws):
                    async for message in ws:
                        raise RuntimeError("cannot handle " + message)
                """)) {
            String stream = lines.response().headers().firstValue("Sandbox0-Function-Stream").orElseThrow();
            var it = lines.iterator();
            procd.post("/api/v1/functions/ws/" + stream, "this");
            JsonNode close = lines.next(it);
            assertThat(close.get("type").asText()).isEqualTo("close");
            assertThat(close.get("code").asInt()).isEqualTo(1011);
            assertThat(lines.next(it)).isNull();
        }
        try (var lines = openSocket("""
                async def handler(request, ws):
                    await ws.close(4000, "bye")
                """)) {
            assertThat(lines.next(lines.iterator()).toString()).isEqualTo("{\"type\":\"close\",\"code\":4000,\"reason\":\"bye\"}");
        }
    }

    private ProcdProcess.Lines openSocket(String code) throws Exception {
        Map<String, Object> inv = invocation(code, Map.of("method", "GET"), Map.of());
        @SuppressWarnings("unchecked")
        Map<String, Object> request = (Map<String, Object>) inv.get("request");
        request.remove("body_base64");
        var r = procd.http.send(procd.request("/api/v1/functions/ws").POST(HttpRequest.BodyPublishers.ofString(
                Json.writeString(inv))).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
        return new ProcdProcess.Lines(r);
    }

    private String log() {
        try {
            return Files.readString(procd.log);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static long processesWith(String marker) {
        try (var procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            long n = 0;
            for (Path p : procs) {
                try {
                    if (new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).contains(marker)) {
                        n++;
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
            return n;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
