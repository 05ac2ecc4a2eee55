package ai.sandbox0.api.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import ai.sandbox0.api.common.Deleted;
import ai.sandbox0.api.common.Resized;
import ai.sandbox0.api.common.Signaled;
import ai.sandbox0.api.common.Written;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContextWireTest {

    private static JsonNode tree(String json) throws Exception {
        return Json.mapper().readTree(json);
    }

    private static <T> T roundTrip(String json, Class<T> type) throws Exception {
        T value = Json.mapper().readValue(json, type);
        assertThat(tree(Json.writeString(value))).isEqualTo(tree(json));
        return value;
    }

    @Test
    void createRequestWithReplConfigKeepsSnakeCaseNames() throws Exception {
        var req = roundTrip("""
                {"type":"repl","repl":{"alias":"myrepl","input":"1+1","repl_config":{"name":"myrepl",
                 "display_name":"My","description":"d","candidates":[{"name":"python3","args":["-q","-i"]}],
                 "env":[{"name":"TERM","value_from":"term"},{"name":"X","value":"1"}],"default_term":"dumb",
                 "prompt":{"custom_prompt":">> "},"ready":{"mode":"startup_delay","token":"t","startup_delay_ms":300}}},
                 "wait_until_done":false,"cwd":"/tmp","env_vars":{"A":"b"},"pty_size":{"rows":24,"cols":80},
                 "idle_timeout_sec":5,"ttl_sec":10}""", CreateContextRequest.class);
        assertThat(req.type()).isEqualTo(ProcessType.REPL);
        assertThat(req.repl().replConfig().ready().mode()).isEqualTo(REPLReadyMode.STARTUP_DELAY);
        assertThat(req.repl().replConfig().env().getFirst().valueFrom()).isEqualTo("term");
        assertThat(req.ptySize()).isEqualTo(new PTYSize(24, 80));
    }

    @Test
    void createCmdRequestLeavesOptionalsNull() throws Exception {
        var req = roundTrip("{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"echo hi\"]}}",
                CreateContextRequest.class);
        assertThat(req.cmd().command()).containsExactly("sh", "-c", "echo hi");
        assertThat(req.waitUntilDone()).isNull();
        assertThat(req.ttlSec()).isNull();
    }

    @Test
    void strictScalarsRejectStringForInt() {
        assertThatThrownBy(() -> Json.mapper().readValue("{\"ttl_sec\":\"5\"}", CreateContextRequest.class))
                .isInstanceOf(Exception.class);
        assertThatThrownBy(() -> Json.mapper().readValue("{\"type\":\"shell\"}", CreateContextRequest.class))
                .isInstanceOf(Exception.class);
    }

    @Test
    void contextResponseOmitsExitFieldsWhileRunning() throws Exception {
        var running = new ContextResponse("ctx-0123abcd", ProcessType.REPL, "python", null, "/tmp", Map.of(),
                true, false, Instant.parse("2026-01-02T03:04:05Z"), null, null, null);
        assertThat(tree(Json.writeString(running))).isEqualTo(tree("""
                {"id":"ctx-0123abcd","type":"repl","alias":"python","cwd":"/tmp","env_vars":{},"running":true,
                 "paused":false,"created_at":"2026-01-02T03:04:05Z"}"""));
        roundTrip("""
                {"id":"ctx-0123abcd","type":"cmd","command":["sh"],"cwd":"/","env_vars":{"A":"1"},"running":false,
                 "paused":false,"created_at":"2026-01-02T03:04:05Z","output_raw":"hi\\n","exit_code":7,"state":"crashed"}""",
                ContextResponse.class);
    }

    @Test
    void execStatsAndSmallResponses() throws Exception {
        roundTrip("{\"output_raw\":\"_S0_> 42\",\"exit_code\":0,\"state\":\"stopped\"}", ContextExecResponse.class);
        roundTrip("""
                {"context_id":"ctx-1","type":"cmd","alias":"","running":true,"paused":false,"usage":{"cpu_percent":1.5,
                 "memory_rss":1,"memory_vms":2,"open_files":3,"thread_count":4,"container_memory_usage":5,
                 "container_memory_limit":6,"container_memory_working_set":7,"io_read_bytes":8,"io_write_bytes":9,
                 "memory_bytes":10}}""", ContextStatsResponse.class);
        roundTrip("{\"contexts\":[]}", ContextListResponse.class);
        roundTrip("{\"rows\":24,\"cols\":80}", ResizeContextRequest.class);
        roundTrip("{\"signal\":\"SIGINT\"}", SignalContextRequest.class);
        assertThat(Json.writeString(new Written(true))).isEqualTo("{\"written\":true}");
        assertThat(Json.writeString(new Resized(true))).isEqualTo("{\"resized\":true}");
        assertThat(Json.writeString(new Signaled(true))).isEqualTo("{\"signaled\":true}");
        assertThat(Json.writeString(new Deleted(true))).isEqualTo("{\"deleted\":true}");
    }

    @Test
    void inputAcceptsBothRequestIdSpellings() throws Exception {
        var snake = Json.mapper().readValue("{\"data\":\"x\",\"request_id\":\"r1\"}", ContextInputRequest.class);
        var camel = Json.mapper().readValue("{\"data\":\"x\",\"requestId\":\"r1\"}", ContextInputRequest.class);
        assertThat(snake).isEqualTo(camel).isEqualTo(new ContextInputRequest("x", "r1"));
        assertThat(Json.writeString(new ContextInputRequest("x"))).isEqualTo("{\"data\":\"x\"}");
    }

    @Test
    void clientFramesByType() throws Exception {
        var sdk = Json.mapper().readValue("{\"type\":\"input\",\"data\":\"ls\\n\",\"requestId\":\"req-1\"}",
                ContextClientFrame.class);
        assertThat(sdk).isEqualTo(new ContextClientFrame.Input("ls\n", "req-1"));
        assertThat(Json.writeString(sdk)).isEqualTo("{\"type\":\"input\",\"data\":\"ls\\n\",\"request_id\":\"req-1\"}");
        assertThat(roundTrip("{\"type\":\"resize\",\"rows\":24,\"cols\":80}", ContextClientFrame.class))
                .isEqualTo(new ContextClientFrame.Resize(24, 80));
        assertThat(roundTrip("{\"type\":\"signal\",\"signal\":\"INT\"}", ContextClientFrame.class))
                .isEqualTo(new ContextClientFrame.Signal("INT"));
        assertThatThrownBy(() -> Json.mapper().readValue("{\"type\":\"bogus\"}", ContextClientFrame.class))
                .isInstanceOf(Exception.class);
    }

    @Test
    void serverFramesHaveUpstreamShapes() throws Exception {
        assertThat(Json.writeString(new ContextServerFrame.Output(OutputSource.STDERR, "warn\n")))
                .isEqualTo("{\"type\":\"output\",\"source\":\"stderr\",\"data\":\"warn\\n\"}");
        assertThat(Json.writeString(ContextServerFrame.Done.request("r1")))
                .isEqualTo("{\"type\":\"done\",\"request_id\":\"r1\"}");
        assertThat(Json.writeString(ContextServerFrame.Done.exit(3, ProcessState.CRASHED)))
                .isEqualTo("{\"type\":\"done\",\"exit_code\":3,\"state\":\"crashed\"}");
        assertThat(roundTrip("{\"type\":\"output\",\"source\":\"pty\",\"data\":\"a\"}", ContextServerFrame.class))
                .isInstanceOf(ContextServerFrame.Output.class);
        assertThat(roundTrip("{\"type\":\"done\",\"exit_code\":0,\"state\":\"stopped\"}", ContextServerFrame.class))
                .isEqualTo(ContextServerFrame.Done.exit(0, ProcessState.STOPPED));
    }

    @Test
    void exitCodeToState() {
        assertThat(ProcessState.ofExitCode(0)).isEqualTo(ProcessState.STOPPED);
        assertThat(ProcessState.ofExitCode(-1)).isEqualTo(ProcessState.KILLED);
        assertThat(ProcessState.ofExitCode(137)).isEqualTo(ProcessState.KILLED);
        assertThat(ProcessState.ofExitCode(7)).isEqualTo(ProcessState.CRASHED);
        assertThat(List.of(ProcessState.values())).hasSize(7);
    }
}
