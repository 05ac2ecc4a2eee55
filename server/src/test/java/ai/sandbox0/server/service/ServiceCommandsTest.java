package ai.sandbox0.server.service;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.context.ContextResponse;
import ai.sandbox0.api.context.ProcessType;
import ai.sandbox0.api.service.SandboxAppService;
import ai.sandbox0.api.service.SandboxAppServiceRuntime;
import ai.sandbox0.api.service.ServiceRuntimeType;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which running context is a cmd service's, and what a started one is told (spec §7.5). */
class ServiceCommandsTest {

    private static final List<String> COMMAND = List.of("python3", "-m", "http.server", "8080");

    private static SandboxAppService service(String cwd) {
        return new SandboxAppService("web", null, 8080, new SandboxAppServiceRuntime(ServiceRuntimeType.CMD, COMMAND,
                cwd, Map.of("MODE", "prod", "SANDBOX0_SERVICE_PORT", "1"), null), null, null);
    }

    private static ContextResponse context(ProcessType type, List<String> command, String cwd, String serviceId,
            boolean running) {
        Map<String, String> env = serviceId == null ? Map.of() : Map.of("SANDBOX0_SERVICE_ID", serviceId);
        return new ContextResponse("ctx-00000001", type, null, command, cwd, env, running, false, Instant.now(), null,
                null, null);
    }

    @Test
    void aRunningCmdContextWithTheCommandCwdAndServiceIdIsTheServices() {
        assertThat(ServiceCommands.isServiceContext(context(ProcessType.CMD, COMMAND, "/srv/app", "web", true),
                service("/srv/app"))).isTrue();
        // procd resolves a relative cwd against the workspace, and an absent one is the workspace.
        assertThat(ServiceCommands.isServiceContext(context(ProcessType.CMD, COMMAND, "/home/user/app", "web", true),
                service("app"))).isTrue();
        assertThat(ServiceCommands.isServiceContext(context(ProcessType.CMD, COMMAND, "/home/user", "web", true),
                service(null))).isTrue();
    }

    @Test
    void anythingElseIsNot() {
        SandboxAppService web = service("/srv/app");
        assertThat(ServiceCommands.isServiceContext(context(ProcessType.CMD, COMMAND, "/srv/app", "web", false), web))
                .as("exited").isFalse();
        assertThat(ServiceCommands.isServiceContext(context(ProcessType.CMD, COMMAND, "/srv/app", "api", true), web))
                .as("another service").isFalse();
        assertThat(ServiceCommands.isServiceContext(context(ProcessType.CMD, COMMAND, "/srv/app", null, true), web))
                .as("a user's context").isFalse();
        assertThat(ServiceCommands.isServiceContext(context(ProcessType.CMD, List.of("node", "app.js"), "/srv/app",
                "web", true), web)).as("another command").isFalse();
        assertThat(ServiceCommands.isServiceContext(context(ProcessType.CMD, COMMAND, "/srv/other", "web", true), web))
                .as("another cwd").isFalse();
        assertThat(ServiceCommands.isServiceContext(context(ProcessType.REPL, COMMAND, "/srv/app", "web", true), web))
                .as("a REPL").isFalse();
    }

    @Test
    void aStartedCommandIsToldItsServiceAfterTheRuntimesEnv() {
        assertThat(ServiceCommands.env(service(null))).containsExactlyInAnyOrderEntriesOf(Map.of("MODE", "prod",
                "SANDBOX0_SERVICE_ID", "web", "SANDBOX0_SERVICE_PORT", "8080", "SANDBOX0_SERVICE_RUNTIME", "cmd"));
    }
}
