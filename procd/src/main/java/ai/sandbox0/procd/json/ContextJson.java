package ai.sandbox0.procd.json;

import ai.sandbox0.api.context.ContextClientFrame;
import ai.sandbox0.api.context.ContextExecResponse;
import ai.sandbox0.api.context.ContextInputRequest;
import ai.sandbox0.api.context.ContextListResponse;
import ai.sandbox0.api.context.ContextResponse;
import ai.sandbox0.api.context.ContextServerFrame;
import ai.sandbox0.api.context.ContextStatsResponse;
import ai.sandbox0.api.context.CreateCMDContextRequest;
import ai.sandbox0.api.context.CreateContextRequest;
import ai.sandbox0.api.context.CreateREPLContextRequest;
import ai.sandbox0.api.context.ExecCandidate;
import ai.sandbox0.api.context.OutputSource;
import ai.sandbox0.api.context.PTYSize;
import ai.sandbox0.api.context.ProcessState;
import ai.sandbox0.api.context.ProcessType;
import ai.sandbox0.api.context.REPLConfig;
import ai.sandbox0.api.context.REPLEnvVar;
import ai.sandbox0.api.context.REPLPromptConfig;
import ai.sandbox0.api.context.REPLReadyConfig;
import ai.sandbox0.api.context.REPLReadyMode;
import ai.sandbox0.api.context.ResizeContextRequest;
import ai.sandbox0.api.context.SignalContextRequest;
import ai.sandbox0.api.sandbox.ResourceUsage;
import java.util.List;
import java.util.Map;

/** The process (context) records of sandbox-api.md §5 as procd reads and writes them. */
final class ContextJson {

    static final WireEnum<ProcessType> PROCESS_TYPE = WireEnum.of(ProcessType.class, "repl", "cmd");
    static final WireEnum<ProcessState> PROCESS_STATE = WireEnum.of(ProcessState.class,
            "created", "starting", "running", "paused", "stopped", "killed", "crashed");
    static final WireEnum<OutputSource> OUTPUT_SOURCE = WireEnum.of(OutputSource.class, "stdout", "stderr", "pty");
    static final WireEnum<REPLReadyMode> READY_MODE = WireEnum.of(REPLReadyMode.class, "prompt_token", "startup_delay");

    private ContextJson() {
    }

    // ---- requests

    static CreateContextRequest createContext(JsonIn in) {
        var f = new Object() {
            ProcessType type;
            CreateREPLContextRequest repl;
            CreateCMDContextRequest cmd;
            Boolean waitUntilDone;
            String cwd;
            Map<String, String> envVars;
            PTYSize ptySize;
            Integer idleTimeoutSec;
            Integer ttlSec;
        };
        in.fields(name -> {
            switch (name) {
                case "type" -> f.type = in.enumValue(PROCESS_TYPE);
                case "repl" -> f.repl = in.object(ContextJson::createRepl);
                case "cmd" -> f.cmd = in.object(ContextJson::createCmd);
                case "wait_until_done" -> f.waitUntilDone = in.bool();
                case "cwd" -> f.cwd = in.string();
                case "env_vars" -> f.envVars = in.stringMap();
                case "pty_size" -> f.ptySize = in.object(ContextJson::ptySize);
                case "idle_timeout_sec" -> f.idleTimeoutSec = in.int32();
                case "ttl_sec" -> f.ttlSec = in.int32();
                default -> in.skip();
            }
        });
        return new CreateContextRequest(f.type, f.repl, f.cmd, f.waitUntilDone, f.cwd, f.envVars, f.ptySize,
                f.idleTimeoutSec, f.ttlSec);
    }

    private static CreateREPLContextRequest createRepl(JsonIn in) {
        var f = new Object() {
            String alias;
            String input;
            REPLConfig config;
        };
        in.fields(name -> {
            switch (name) {
                case "alias" -> f.alias = in.string();
                case "input" -> f.input = in.string();
                case "repl_config" -> f.config = in.object(ContextJson::replConfig);
                default -> in.skip();
            }
        });
        return new CreateREPLContextRequest(f.alias, f.input, f.config);
    }

    private static CreateCMDContextRequest createCmd(JsonIn in) {
        var f = new Object() {
            List<String> command;
        };
        in.fields(name -> {
            if (name.equals("command")) {
                f.command = in.strings();
            } else {
                in.skip();
            }
        });
        return new CreateCMDContextRequest(f.command);
    }

    private static PTYSize ptySize(JsonIn in) {
        var f = new Object() {
            Integer rows;
            Integer cols;
        };
        in.fields(name -> {
            switch (name) {
                case "rows" -> f.rows = in.int32();
                case "cols" -> f.cols = in.int32();
                default -> in.skip();
            }
        });
        return new PTYSize(f.rows, f.cols);
    }

    private static REPLConfig replConfig(JsonIn in) {
        var f = new Object() {
            String name;
            String displayName;
            String description;
            List<ExecCandidate> candidates;
            List<REPLEnvVar> env;
            String defaultTerm;
            REPLPromptConfig prompt;
            REPLReadyConfig ready;
        };
        in.fields(name -> {
            switch (name) {
                case "name" -> f.name = in.string();
                case "display_name" -> f.displayName = in.string();
                case "description" -> f.description = in.string();
                case "candidates" -> f.candidates = in.list(e -> e.object(ContextJson::candidate));
                case "env" -> f.env = in.list(e -> e.object(ContextJson::envVar));
                case "default_term" -> f.defaultTerm = in.string();
                case "prompt" -> f.prompt = in.object(ContextJson::prompt);
                case "ready" -> f.ready = in.object(ContextJson::ready);
                default -> in.skip();
            }
        });
        return new REPLConfig(f.name, f.displayName, f.description, f.candidates, f.env, f.defaultTerm, f.prompt, f.ready);
    }

    private static ExecCandidate candidate(JsonIn in) {
        var f = new Object() {
            String name;
            List<String> args;
        };
        in.fields(name -> {
            switch (name) {
                case "name" -> f.name = in.string();
                case "args" -> f.args = in.strings();
                default -> in.skip();
            }
        });
        return new ExecCandidate(f.name, f.args);
    }

    private static REPLEnvVar envVar(JsonIn in) {
        var f = new Object() {
            String name;
            String value;
            String valueFrom;
        };
        in.fields(name -> {
            switch (name) {
                case "name" -> f.name = in.string();
                case "value" -> f.value = in.string();
                case "value_from" -> f.valueFrom = in.string();
                default -> in.skip();
            }
        });
        return new REPLEnvVar(f.name, f.value, f.valueFrom);
    }

    private static REPLPromptConfig prompt(JsonIn in) {
        var f = new Object() {
            String customPrompt;
        };
        in.fields(name -> {
            if (name.equals("custom_prompt")) {
                f.customPrompt = in.string();
            } else {
                in.skip();
            }
        });
        return new REPLPromptConfig(f.customPrompt);
    }

    private static REPLReadyConfig ready(JsonIn in) {
        var f = new Object() {
            REPLReadyMode mode;
            String token;
            Integer startupDelayMs;
        };
        in.fields(name -> {
            switch (name) {
                case "mode" -> f.mode = in.enumValue(READY_MODE);
                case "token" -> f.token = in.string();
                case "startup_delay_ms" -> f.startupDelayMs = in.int32();
                default -> in.skip();
            }
        });
        return new REPLReadyConfig(f.mode, f.token, f.startupDelayMs);
    }

    static ContextInputRequest input(JsonIn in) {
        var f = new Object() {
            String data;
            String requestId;
        };
        in.fields(name -> {
            switch (name) {
                case "data" -> f.data = in.string();
                case "request_id", "requestId" -> f.requestId = in.string();
                default -> in.skip();
            }
        });
        return new ContextInputRequest(f.data, f.requestId);
    }

    static ResizeContextRequest resize(JsonIn in) {
        PTYSize size = ptySize(in);
        return new ResizeContextRequest(size.rows(), size.cols());
    }

    static SignalContextRequest signal(JsonIn in) {
        var f = new Object() {
            String signal;
        };
        in.fields(name -> {
            if (name.equals("signal")) {
                f.signal = in.string();
            } else {
                in.skip();
            }
        });
        return new SignalContextRequest(f.signal);
    }

    /**
     * A client frame of the context WebSocket (§5.5): {@code input}, {@code resize} or {@code signal};
     * null when the text is not a JSON object with one of those types (the relay writes such text to
     * the process as it is). A known frame with a field of the wrong type is a {@link JsonProblem}.
     */
    static ContextClientFrame clientFrame(byte[] text) {
        try {
            return JsonIn.read(text, ContextJson::knownClientFrame);
        } catch (JsonProblem problem) {
            String type;
            try {
                type = JsonIn.read(text, in -> {
                    var t = new Object() {
                        String value;
                    };
                    in.fields(name -> {
                        if (name.equals("type") && t.value == null) {
                            t.value = in.string();
                        } else {
                            in.skip();
                        }
                    });
                    return t.value;
                });
            } catch (JsonProblem notAFrame) {
                return null;
            }
            if (CLIENT_FRAME_TYPES.contains(type)) {
                throw problem;
            }
            return null;
        }
    }

    private static final java.util.Set<String> CLIENT_FRAME_TYPES = java.util.Set.of("input", "resize", "signal");

    private static ContextClientFrame knownClientFrame(JsonIn in) {
        var f = new Object() {
            String type;
            String data;
            String requestId;
            String sdkRequestId;
            Integer rows;
            Integer cols;
            String signal;
        };
        in.fields(name -> {
            switch (name) {
                case "type" -> f.type = in.string();
                case "data" -> f.data = in.string();
                case "request_id" -> f.requestId = in.string();
                case "requestId" -> f.sdkRequestId = in.string();
                case "rows" -> f.rows = in.int32();
                case "cols" -> f.cols = in.int32();
                case "signal" -> f.signal = in.string();
                default -> in.skip();
            }
        });
        if (f.type == null) {
            return null;
        }
        return switch (f.type) {
            case "input" -> new ContextClientFrame.Input(f.data, f.requestId != null ? f.requestId : f.sdkRequestId);
            case "resize" -> new ContextClientFrame.Resize(f.rows, f.cols);
            case "signal" -> new ContextClientFrame.Signal(f.signal);
            default -> null;
        };
    }

    // ---- responses

    static void context(JsonOut out, ContextResponse c) {
        out.begin()
                .string("id", c.id())
                .enumValue("type", PROCESS_TYPE, c.type())
                .string("alias", c.alias())
                .strings("command", c.command())
                .string("cwd", c.cwd())
                .stringMap("env_vars", c.envVars())
                .bool("running", c.running())
                .bool("paused", c.paused())
                .time("created_at", c.createdAt())
                .string("output_raw", c.outputRaw())
                .number("exit_code", c.exitCode())
                .enumValue("state", PROCESS_STATE, c.state())
                .end();
    }

    static void contexts(JsonOut out, ContextListResponse list) {
        out.begin().list("contexts", list.contexts(), ContextJson::context).end();
    }

    static void exec(JsonOut out, ContextExecResponse r) {
        out.begin()
                .string("output_raw", r.outputRaw())
                .number("exit_code", r.exitCode())
                .enumValue("state", PROCESS_STATE, r.state())
                .end();
    }

    static void stats(JsonOut out, ContextStatsResponse s) {
        out.begin()
                .string("context_id", s.contextId())
                .enumValue("type", PROCESS_TYPE, s.type())
                .string("alias", s.alias())
                .bool("running", s.running())
                .bool("paused", s.paused())
                .object("usage", s.usage(), ContextJson::usage)
                .end();
    }

    private static void usage(JsonOut out, ResourceUsage u) {
        out.begin()
                .number("cpu_percent", u.cpuPercent())
                .number("memory_rss", u.memoryRss())
                .number("memory_vms", u.memoryVms())
                .number("open_files", u.openFiles())
                .number("thread_count", u.threadCount())
                .number("container_memory_usage", u.containerMemoryUsage())
                .number("container_memory_limit", u.containerMemoryLimit())
                .number("container_memory_working_set", u.containerMemoryWorkingSet())
                .number("io_read_bytes", u.ioReadBytes())
                .number("io_write_bytes", u.ioWriteBytes())
                .number("memory_bytes", u.memoryBytes())
                .end();
    }

    static void frame(JsonOut out, ContextServerFrame frame) {
        // instanceof rather than a pattern switch: a type switch costs milliseconds the first time, interpreted.
        if (frame instanceof ContextServerFrame.Output o) {
            out.begin()
                    .string("type", o.type())
                    .enumValue("source", OUTPUT_SOURCE, o.source())
                    .string("data", o.data())
                    .end();
        } else if (frame instanceof ContextServerFrame.Done d) {
            out.begin()
                    .string("type", d.type())
                    .string("request_id", d.requestId())
                    .number("exit_code", d.exitCode())
                    .enumValue("state", PROCESS_STATE, d.state())
                    .end();
        }
    }
}
