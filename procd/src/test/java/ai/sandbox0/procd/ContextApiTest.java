package ai.sandbox0.procd;

import static ai.sandbox0.procd.ProcdProcess.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** §5: every context endpoint, its error rows, and the acceptance scenarios 14–30. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContextApiTest {

    ProcdProcess procd;
    final List<Path> temps = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    void start() throws Exception {
        Interpreters.require("python3", "node", "bash");
        Path envFile = Files.createTempFile("procd-env", ".json");
        temps.add(envFile);
        Files.writeString(envFile, "{\"template\":{\"APP_ENV\":\"tpl\",\"T_ONLY\":\"t\"},\"sandbox\":{\"APP_ENV\":\"dev\"}}");
        procd = ProcdProcess.start("--exec-timeout-ms", "3000", "--env-file", envFile.toString());
    }

    @AfterAll
    void stop() throws Exception {
        procd.close();
        ProcdProcess.delete(temps.toArray(Path[]::new));
    }

    @Test
    void pythonReplKeepsState() {
        var r = procd.post("/api/v1/contexts", "{\"type\":\"repl\",\"repl\":{\"alias\":\"python\"}}");
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.data().get("id").asText()).matches("ctx-[0-9a-f]{8}");
        assertThat(r.data().get("type").asText()).isEqualTo("repl");
        assertThat(r.data().get("running").asBoolean()).isTrue();
        assertThat(r.data().get("paused").asBoolean()).isFalse();
        assertThat(r.data().get("env_vars").isObject()).isTrue();
        assertThat(r.data().has("exit_code")).isFalse();
        String id = r.data().get("id").asText();
        assertThat(procd.exec(id, "x=41").status()).isEqualTo(200);
        var out = procd.exec(id, "print(x+1)");
        assertThat(out.status()).isEqualTo(200);
        assertThat(out.data().get("output_raw").asText()).contains("42").startsWith("_S0_> ");
        assertThat(out.data().has("exit_code")).isFalse();
    }

    @Test
    void defaultAliasIsPythonAndReplIsATerminal() {
        var r = procd.post("/api/v1/contexts", "{\"type\":\"repl\"}");
        assertThat(r.data().get("alias").asText()).isEqualTo("python");
        String id = r.data().get("id").asText();
        var out = procd.exec(id, "import os,sys;print(sys.stdin.isatty(), os.getsid(0)==os.getpid(), os.ttyname(0))");
        assertThat(out.data().get("output_raw").asText()).contains("True True /dev/pts/");
    }

    @Test
    void execValidationAndUnknownContext() {
        String id = procd.createRepl("python");
        var empty = procd.exec(id, "");
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.code()).isEqualTo("invalid_request");
        var missing = procd.exec("ctx-nonexist", "1");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.code()).isEqualTo("context_not_found");
    }

    @Test
    void cwdAndEnvVarsReachTheRepl() {
        var r = procd.post("/api/v1/contexts",
                "{\"type\":\"repl\",\"repl\":{\"alias\":\"python\"},\"cwd\":\"/tmp\",\"env_vars\":{\"G\":\"hi\"}}");
        assertThat(r.data().get("cwd").asText()).isEqualTo("/tmp");
        assertThat(r.data().get("env_vars").get("G").asText()).isEqualTo("hi");
        var out = procd.exec(r.data().get("id").asText(), "import os;print(os.getcwd(),os.getenv(\"G\"))");
        assertThat(out.data().get("output_raw").asText()).contains("/tmp hi");
    }

    @Test
    void relativeCwdResolvesAgainstWorkspaceAndMissingCwdIs400() throws Exception {
        Files.createDirectories(procd.workspace.resolve("sub"));
        var r = procd.post("/api/v1/contexts", "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"pwd\"]},\"cwd\":\"sub\",\"wait_until_done\":true}");
        assertThat(r.data().get("output_raw").asText()).contains(procd.workspace.resolve("sub").toString());
        var bad = procd.post("/api/v1/contexts", "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"pwd\"]},\"cwd\":\"/nope/x\"}");
        assertThat(bad.status()).isEqualTo(400);
    }

    @Test
    void envPrecedenceTemplateSandboxContext() {
        String sh = "echo $APP_ENV $T_ONLY";
        var sandbox = procd.post("/api/v1/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"" + sh + "\"]},\"wait_until_done\":true}");
        assertThat(sandbox.data().get("output_raw").asText()).contains("dev t");
        var context = procd.post("/api/v1/contexts", "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"" + sh
                + "\"]},\"wait_until_done\":true,\"env_vars\":{\"APP_ENV\":\"ctx\"}}");
        assertThat(context.data().get("output_raw").asText()).contains("ctx t");
        var token = procd.post("/api/v1/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"echo [$SANDBOX0_PROCD_TOKEN]\"]},\"wait_until_done\":true}");
        assertThat(token.data().get("output_raw").asText()).contains("[]");
    }

    @Test
    void envLayersCanBeReplacedForNewProcesses() {
        var env = procd.get("/api/v1/env");
        assertThat(env.data().get("sandbox").get("APP_ENV").asText()).isEqualTo("dev");
        try {
            assertThat(procd.put("/api/v1/env", "{\"template\":{\"T_ONLY\":\"t\"},\"sandbox\":{\"APP_ENV\":\"prod\"}}")
                    .status()).isEqualTo(200);
            var r = procd.post("/api/v1/contexts",
                    "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"echo $APP_ENV\"]},\"wait_until_done\":true}");
            assertThat(r.data().get("output_raw").asText()).contains("prod");
        } finally {
            procd.put("/api/v1/env", "{\"template\":{\"APP_ENV\":\"tpl\",\"T_ONLY\":\"t\"},\"sandbox\":{\"APP_ENV\":\"dev\"}}");
        }
    }

    @Test
    void cmdWaitUntilDoneReportsOutputExitAndState() {
        var ok = procd.post("/api/v1/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"echo hi\"]},\"wait_until_done\":true}");
        assertThat(ok.status()).isEqualTo(201);
        assertThat(ok.data().get("output_raw").asText()).contains("hi");
        assertThat(ok.data().get("exit_code").asInt()).isZero();
        assertThat(ok.data().get("state").asText()).isEqualTo("stopped");
        assertThat(ok.data().get("running").asBoolean()).isFalse();
        var seven = procd.post("/api/v1/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"exit 7\"]},\"wait_until_done\":true}");
        assertThat(seven.data().get("exit_code").asInt()).isEqualTo(7);
        assertThat(seven.data().get("state").asText()).isEqualTo("crashed");
    }

    @Test
    void cmdContextsAreStateless() {
        procd.post("/api/v1/contexts", "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"x=3\"]},\"wait_until_done\":true}");
        var r = procd.post("/api/v1/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"echo [$x]\"]},\"wait_until_done\":true}");
        assertThat(r.data().get("output_raw").asText()).contains("[]");
    }

    @Test
    void waitUntilDoneIsCappedAndTheProcessKeepsRunning() throws Exception {
        var r = procd.post("/api/v1/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sleep\",\"30\"]},\"wait_until_done\":true}");
        assertThat(r.status()).isEqualTo(408);
        assertThat(r.code()).isEqualTo("exec_timeout");
        var list = procd.get("/api/v1/contexts").data().get("contexts");
        boolean running = false;
        for (var c : list) {
            if (c.path("command").toString().contains("sleep") && c.get("running").asBoolean()) {
                running = true;
                procd.delete("/api/v1/contexts/" + c.get("id").asText());
            }
        }
        assertThat(running).isTrue();
    }

    @Test
    void createValidationErrors() {
        record Case(String body, String message) {
        }
        for (var c : List.of(
                new Case("{\"type\":\"cmd\",\"repl\":{\"alias\":\"python\"}}", "repl is only valid for repl contexts"),
                new Case("{\"type\":\"repl\",\"cmd\":{\"command\":[\"ls\"]}}", "cmd is only valid for cmd contexts"),
                new Case("{\"type\":\"repl\",\"ttl_sec\":-1}", "ttl_sec"),
                new Case("{\"type\":\"repl\",\"idle_timeout_sec\":-1}", "idle_timeout_sec"),
                new Case("{\"type\":\"cmd\"}", "cmd.command is required"),
                new Case("{\"type\":\"cmd\",\"cmd\":{\"command\":[]}}", "cmd.command is required"),
                new Case("{\"type\":\"repl\",\"repl\":{\"alias\":\"cobol\"}}", "unsupported repl alias"),
                new Case("{\"type\":\"repl\",\"repl\":{\"alias\":\"a\",\"repl_config\":{\"name\":\"b\",\"candidates\":[{\"name\":\"python3\"}]}}}",
                        "repl.alias must match repl.repl_config.name"),
                new Case("{\"type\":\"repl\",\"repl\":{\"repl_config\":{\"candidates\":[{\"name\":\"python3\"}]}}}",
                        "repl.alias or repl.repl_config.name is required"),
                new Case("{\"type\":\"repl\",\"repl\":{\"repl_config\":{\"name\":\"r\"}}}", "candidates"),
                new Case("{\"type\":\"repl\",\"repl\":{\"repl_config\":{\"name\":\"r\",\"candidates\":[{\"args\":[]}]}}}",
                        "candidates[0].name"),
                new Case("{\"type\":\"repl\",\"repl\":{\"repl_config\":{\"name\":\"r\",\"candidates\":[{\"name\":\"sh\"}],\"ready\":{\"mode\":\"prompt_token\"}}}}",
                        "ready.token"),
                new Case("{\"type\":\"repl\",\"repl\":{\"repl_config\":{\"name\":\"r\",\"candidates\":[{\"name\":\"sh\"}],\"ready\":{\"startup_delay_ms\":-5}}}}",
                        "startup_delay_ms"),
                new Case("{\"type\":\"repl\",\"repl\":{\"repl_config\":{\"name\":\"r\",\"candidates\":[{\"name\":\"sh\"}],\"env\":[{\"name\":\"X\",\"value_from\":\"moon\"}]}}}",
                        "value_from"),
                new Case("{\"type\":\"repl\",\"repl\":{\"repl_config\":{\"name\":\"r\",\"candidates\":[{\"name\":\"sh\"}],\"env\":[{\"value\":\"1\"}]}}}",
                        "env[0].name"),
                new Case("{\"type\":\"shell\"}",
                        "invalid value for field 'type': unknown value \"shell\", expected one of repl, cmd"),
                new Case("{\"type\":\"repl\",\"ttl_sec\":\"5\"}", "invalid value for field 'ttl_sec': expected an integer"),
                new Case("{\"type\":\"cmd\",\"ttl_sec\":1.5}", "invalid value for field 'ttl_sec': expected an integer"),
                new Case("{\"type\":\"cmd\",\"ttl_sec\":3000000000}", "invalid value for field 'ttl_sec': expected an integer"),
                new Case("{\"type\":\"cmd\",\"cmd\":{\"command\":[\"echo\",1]}}",
                        "invalid value for field 'cmd.command[1]': expected a string"),
                new Case("{\"type\":\"cmd\",\"wait_until_done\":\"yes\"}",
                        "invalid value for field 'wait_until_done': expected a boolean"),
                new Case("{\"type\":\"cmd\",\"env_vars\":[\"A=b\"]}", "invalid value for field 'env_vars': expected an object"),
                new Case("{\"type\":\"repl\",\"repl\":{\"repl_config\":{\"name\":\"r\",\"ready\":{\"mode\":\"soon\"}}}}",
                        "invalid value for field 'repl.repl_config.ready.mode': unknown value \"soon\", expected one of prompt_token, startup_delay"),
                new Case("{\"type\":\"repl\",\"pty_size\":{\"rows\":-1,\"cols\":80}}", "pty_size"),
                new Case("[1,2]", "request body must be an object in JSON"),
                new Case("{\"type\":\"cmd\"} {}", "malformed JSON: unexpected content after the object"),
                new Case("{\"type\":", "malformed JSON"),
                new Case("not json", "malformed JSON"))) {
            var r = procd.post("/api/v1/contexts", c.body());
            assertThat(r.status()).as(c.body()).isEqualTo(400);
            assertThat(r.code()).as(c.body()).isEqualTo("invalid_request");
            assertThat(r.message()).as(c.body()).contains(c.message());
        }
    }

    @Test
    void spawnFailureIsCreateFailed() {
        var r = procd.post("/api/v1/contexts", "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"/no/such/binary\"]}}");
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.code()).isEqualTo("create_failed");
        var repl = procd.post("/api/v1/contexts",
                "{\"type\":\"repl\",\"repl\":{\"repl_config\":{\"name\":\"x\",\"candidates\":[{\"name\":\"no-such-repl\"}]}}}");
        assertThat(repl.status()).isEqualTo(500);
        assertThat(repl.code()).isEqualTo("create_failed");
    }

    @Test
    void customReplWithStartupDelay() {
        var r = procd.post("/api/v1/contexts", "{\"type\":\"repl\",\"repl\":{\"alias\":\"myrepl\",\"repl_config\":{\"name\":\"myrepl\","
                + "\"candidates\":[{\"name\":\"no-such-first\"},{\"name\":\"python3\",\"args\":[\"-q\",\"-i\"]}],"
                + "\"env\":[{\"name\":\"MY_TERM\",\"value_from\":\"term\"}],\"default_term\":\"dumb\","
                + "\"ready\":{\"mode\":\"startup_delay\",\"startup_delay_ms\":300}}}}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.data().get("alias").asText()).isEqualTo("myrepl");
        var out = procd.exec(r.data().get("id").asText(), "import os; print(os.environ['MY_TERM'], 6*7)");
        assertThat(out.data().get("output_raw").asText()).contains("dumb 42");
    }

    @Test
    void customReplWithPromptToken() {
        var r = procd.post("/api/v1/contexts", "{\"type\":\"repl\",\"repl\":{\"repl_config\":{\"name\":\"py\","
                + "\"candidates\":[{\"name\":\"python3\",\"args\":[\"-q\",\"-i\",\"-u\"]}],"
                + "\"env\":[{\"name\":\"PYTHONSTARTUP\",\"value\":\"" + writeStartup() + "\"}],"
                + "\"ready\":{\"token\":\"my> \"}}}}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        var out = procd.exec(r.data().get("id").asText(), "print(40+2)");
        assertThat(out.data().get("output_raw").asText()).startsWith("my> ").contains("42");
    }

    private String writeStartup() {
        try {
            Path p = Files.createTempFile("startup", ".py");
            temps.add(p);
            Files.writeString(p, "import sys\nsys.ps1='my> '\n");
            return p.toString();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void nodeAndBashRepls() {
        var node = procd.exec(procd.createRepl("node"), "let y = 6; console.log(y*7)");
        assertThat(node.data().get("output_raw").asText()).contains("42");
        String bash = procd.createRepl("bash");
        assertThat(procd.exec(bash, "X=6").status()).isEqualTo(200);
        var out = procd.exec(bash, "echo $((X*7)); tty");
        assertThat(out.data().get("output_raw").asText()).contains("42").contains("/dev/pts/");
    }

    @Test
    void replInputIsSentOnceReady() {
        var r = procd.post("/api/v1/contexts", "{\"type\":\"repl\",\"repl\":{\"alias\":\"python\",\"input\":\"y=5\"}}");
        String id = r.data().get("id").asText();
        var out = procd.exec(id, "print(y*2)");
        assertThat(out.data().get("output_raw").asText()).contains("10");
    }

    @Test
    void multiLineReplInput() {
        String id = procd.createRepl("python");
        var out = procd.exec(id, "for i in range(3):\n    print('row', i)\n\n");
        assertThat(out.data().get("output_raw").asText()).contains("row 0").contains("row 2");
        assertThat(procd.exec(id, "print('after')").data().get("output_raw").asText()).contains("after");
    }

    @Test
    void listAndGet() {
        String a = procd.createRepl("python");
        String b = procd.createCmd("", "true");
        var list = procd.get("/api/v1/contexts");
        assertThat(list.status()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        list.data().get("contexts").forEach(c -> ids.add(c.get("id").asText()));
        assertThat(ids).contains(a, b);
        assertThat(procd.get("/api/v1/contexts/" + a).data().get("id").asText()).isEqualTo(a);
        var missing = procd.get("/api/v1/contexts/ctx-nonexist");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.code()).isEqualTo("context_not_found");
    }

    @Test
    void inputWritesVerbatim() throws Exception {
        String id = procd.createRepl("python");
        var r = procd.post("/api/v1/contexts/" + id + "/input", "{\"data\":\"print(1)\\n\"}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.data().get("written").asBoolean()).isTrue();
        var missing = procd.post("/api/v1/contexts/" + id + "/input", "{}");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.message()).isEqualTo("data is required");
        assertThat(procd.post("/api/v1/contexts/ctx-nonexist/input", "{\"data\":\"x\"}").status()).isEqualTo(404);
        String cat = procd.createCmd("", "cat");
        procd.post("/api/v1/contexts/" + cat + "/input", "{\"data\":\"echoed\\n\"}");
        eventually(Duration.ofSeconds(10), () -> procd.get("/api/v1/contexts/" + cat).status() == 200, "cat");
        procd.delete("/api/v1/contexts/" + cat);
    }

    @Test
    void resizeRowsAndErrors() {
        String id = procd.createRepl("python");
        var zero = procd.post("/api/v1/contexts/" + id + "/resize", "{\"rows\":0,\"cols\":80}");
        assertThat(zero.status()).isEqualTo(400);
        assertThat(zero.code()).isEqualTo("invalid_request");
        var ok = procd.post("/api/v1/contexts/" + id + "/resize", "{\"rows\":24,\"cols\":80}");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.data().get("resized").asBoolean()).isTrue();
        var size = procd.exec(id, "import os; print(os.get_terminal_size())");
        assertThat(size.data().get("output_raw").asText()).contains("columns=80, lines=24");
        String cmd = procd.createCmd("", "sleep", "30");
        var noPty = procd.post("/api/v1/contexts/" + cmd + "/resize", "{\"rows\":24,\"cols\":80}");
        assertThat(noPty.status()).isEqualTo(409);
        assertThat(noPty.code()).isEqualTo("pty_unavailable");
        procd.delete("/api/v1/contexts/" + cmd);
        assertThat(procd.post("/api/v1/contexts/ctx-nonexist/resize", "{\"rows\":1,\"cols\":1}").status()).isEqualTo(404);
    }

    @Test
    void cmdWithPtySizeRunsOnATerminal() {
        var r = procd.post("/api/v1/contexts", "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"tty; stty size\"]},"
                + "\"pty_size\":{\"rows\":30,\"cols\":100},\"wait_until_done\":true}");
        assertThat(r.data().get("output_raw").asText()).contains("/dev/pts/").contains("30 100");
    }

    @Test
    void signalTermEndsACommand() throws Exception {
        String id = procd.createCmd("", "sleep", "300");
        var r = procd.post("/api/v1/contexts/" + id + "/signal", "{\"signal\":\"TERM\"}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.data().get("signaled").asBoolean()).isTrue();
        eventually(Duration.ofSeconds(10), () -> !procd.get("/api/v1/contexts/" + id).data().get("running").asBoolean(),
                "sleep to end");
        var after = procd.get("/api/v1/contexts/" + id).data();
        assertThat(after.get("exit_code").asInt()).isEqualTo(-1);
        assertThat(after.get("state").asText()).isEqualTo("killed");
        var bogus = procd.post("/api/v1/contexts/" + id + "/signal", "{\"signal\":\"BOGUS\"}");
        assertThat(bogus.status()).isEqualTo(400);
        assertThat(bogus.message()).contains("unsupported signal");
        var finished = procd.post("/api/v1/contexts/" + id + "/signal", "{\"signal\":\"sigterm\"}");
        assertThat(finished.status()).isEqualTo(409);
        assertThat(finished.code()).isEqualTo("process_not_running");
        assertThat(procd.post("/api/v1/contexts/ctx-nonexist/signal", "{\"signal\":\"INT\"}").status()).isEqualTo(404);
    }

    @Test
    void interruptAReplWithSigint() throws Exception {
        String id = procd.createRepl("python");
        var busy = procd.exec(id, "while True: pass");
        assertThat(busy.status()).isEqualTo(408);
        assertThat(busy.code()).isEqualTo("exec_timeout");
        assertThat(procd.get("/api/v1/contexts/" + id).data().get("running").asBoolean()).isTrue();
        assertThat(procd.post("/api/v1/contexts/" + id + "/signal", "{\"signal\":\"2\"}").status()).isEqualTo(200);
        // The interrupted loop's traceback and the next input may cross; the REPL must recover.
        String out = "";
        for (int i = 0; i < 5 && !out.contains("alive"); i++) {
            out = procd.exec(id, "print('al'+'ive')").data().path("output_raw").asText();
        }
        assertThat(out).contains("alive");
    }

    @Test
    void execAndInputOnAFinishedProcessAre410() {
        var r = procd.post("/api/v1/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"true\"]},\"wait_until_done\":true}");
        String id = r.data().get("id").asText();
        var exec = procd.exec(id, "x");
        assertThat(exec.status()).isEqualTo(410);
        assertThat(exec.code()).isEqualTo("process_finished");
        var input = procd.post("/api/v1/contexts/" + id + "/input", "{\"data\":\"x\"}");
        assertThat(input.status()).isEqualTo(410);
        var resize = procd.post("/api/v1/contexts/" + id + "/resize", "{\"rows\":2,\"cols\":2}");
        assertThat(resize.status()).isEqualTo(409);
    }

    @Test
    void execOnACommandWritesStdinAndWaitsForExit() {
        String id = procd.createCmd("", "sh", "-c", "read line; echo got $line; exit 4");
        var r = procd.exec(id, "abc\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.data().get("output_raw").asText()).contains("got abc");
        assertThat(r.data().get("exit_code").asInt()).isEqualTo(4);
        assertThat(r.data().get("state").asText()).isEqualTo("crashed");
    }

    @Test
    void replExitDuringExecReportsTheExit() {
        String id = procd.createRepl("python");
        var r = procd.exec(id, "import sys; sys.exit(3)");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.data().get("exit_code").asInt()).isEqualTo(3);
        assertThat(r.data().get("state").asText()).isEqualTo("crashed");
        var listed = procd.get("/api/v1/contexts/" + id).data();
        assertThat(listed.get("running").asBoolean()).isFalse();
        assertThat(listed.get("exit_code").asInt()).isEqualTo(3);
    }

    @Test
    void restartLosesStateKeepsId() {
        String id = procd.createRepl("python");
        procd.exec(id, "x=1");
        var r = procd.post("/api/v1/contexts/" + id + "/restart", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.data().get("id").asText()).isEqualTo(id);
        assertThat(r.data().get("running").asBoolean()).isTrue();
        assertThat(procd.exec(id, "print('x' in dir())").data().get("output_raw").asText()).contains("False");
        assertThat(procd.post("/api/v1/contexts/ctx-nonexist/restart", null).status()).isEqualTo(404);
    }

    @Test
    void statsAndDelete() {
        String id = procd.createRepl("python");
        var s = procd.get("/api/v1/contexts/" + id + "/stats");
        assertThat(s.status()).isEqualTo(200);
        assertThat(s.data().get("context_id").asText()).isEqualTo(id);
        assertThat(s.data().get("type").asText()).isEqualTo("repl");
        assertThat(s.data().get("alias").asText()).isEqualTo("python");
        assertThat(s.data().get("running").asBoolean()).isTrue();
        var usage = s.data().get("usage");
        assertThat(usage.get("memory_rss").asLong()).isPositive();
        assertThat(usage.get("memory_vms").asLong()).isPositive();
        assertThat(usage.get("thread_count").asInt()).isPositive();
        assertThat(usage.get("open_files").asInt()).isPositive();
        assertThat(usage.has("cpu_percent")).isTrue();
        assertThat(usage.has("io_read_bytes")).isTrue();
        assertThat(procd.get("/api/v1/contexts/ctx-nonexist/stats").status()).isEqualTo(404);
        var d = procd.delete("/api/v1/contexts/" + id);
        assertThat(d.status()).isEqualTo(200);
        assertThat(d.data().get("deleted").asBoolean()).isTrue();
        assertThat(procd.get("/api/v1/contexts/" + id).status()).isEqualTo(404);
        assertThat(procd.delete("/api/v1/contexts/" + id).status()).isEqualTo(404);
    }

    @Test
    void fiftyConcurrentExecsAllComplete() throws Exception {
        String repl = procd.createRepl("python");
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> cmds = new ArrayList<>();
            List<Future<String>> execs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                int n = i;
                cmds.add(pool.submit((Callable<String>) () -> procd.post("/api/v1/contexts",
                        "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"echo cmd-" + n + "\"]},\"wait_until_done\":true}")
                        .data().get("output_raw").asText()));
                execs.add(pool.submit((Callable<String>) () ->
                        procd.exec(repl, "print('exec-' + str(" + n + "))").data().get("output_raw").asText()));
            }
            for (int i = 0; i < 50; i++) {
                assertThat(cmds.get(i).get()).contains("cmd-" + i);
                assertThat(execs.get(i).get()).contains("exec-" + i);
            }
        }
    }

    @Test
    void finishedContextsStayListed() {
        var r = procd.post("/api/v1/contexts", "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"true\"]},\"wait_until_done\":true}");
        String id = r.data().get("id").asText();
        var listed = procd.get("/api/v1/contexts").data().get("contexts");
        boolean found = false;
        for (var c : listed) {
            if (c.get("id").asText().equals(id)) {
                found = true;
                assertThat(c.get("running").asBoolean()).isFalse();
                assertThat(c.get("state").asText()).isEqualTo("stopped");
            }
        }
        assertThat(found).isTrue();
        assertThat(Map.of()).isEmpty();
    }
}
