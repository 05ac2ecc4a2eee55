package ai.sandbox0.procd.context;

import ai.sandbox0.api.context.CreateREPLContextRequest;
import ai.sandbox0.api.context.ExecCandidate;
import ai.sandbox0.api.context.REPLConfig;
import ai.sandbox0.api.context.REPLEnvVar;
import ai.sandbox0.api.context.REPLReadyMode;
import ai.sandbox0.procd.ProcdException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns the {@code repl} part of a create request into a {@link ReplProfile}, with the §5.2 errors. */
final class ReplConfigs {

    static final int DEFAULT_STARTUP_DELAY_MS = 200;

    private ReplConfigs() {
    }

    static ReplProfile resolve(CreateREPLContextRequest repl) {
        String alias = repl == null ? null : blankToNull(repl.alias());
        REPLConfig config = repl == null ? null : repl.replConfig();
        if (config == null) {
            String name = alias == null ? "python" : alias;
            ReplProfile builtin = ReplProfile.builtin(name);
            if (builtin == null) {
                throw ProcdException.invalid("unsupported repl alias: " + name);
            }
            return builtin;
        }
        String name = blankToNull(config.name());
        if (name == null && alias == null) {
            throw ProcdException.invalid("repl.alias or repl.repl_config.name is required");
        }
        if (name == null) {
            name = alias;
        }
        if (alias != null && !alias.equals(name)) {
            throw ProcdException.invalid("repl.alias must match repl.repl_config.name");
        }
        List<ExecCandidate> candidates = config.candidates();
        if (candidates == null || candidates.isEmpty()) {
            throw ProcdException.invalid("repl.repl_config.candidates must not be empty");
        }
        List<ExecCandidate> clean = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            ExecCandidate c = candidates.get(i);
            if (c == null || blankToNull(c.name()) == null) {
                throw ProcdException.invalid("repl.repl_config.candidates[" + i + "].name is required");
            }
            clean.add(new ExecCandidate(c.name(), c.args() == null ? List.of() : List.copyOf(c.args())));
        }

        var ready = config.ready();
        String token = ready == null ? null : blankToNull(ready.token());
        REPLReadyMode mode = ready == null || ready.mode() == null
                ? (token != null ? REPLReadyMode.PROMPT_TOKEN : REPLReadyMode.STARTUP_DELAY)
                : ready.mode();
        if (mode == REPLReadyMode.PROMPT_TOKEN && token == null) {
            throw ProcdException.invalid("repl.repl_config.ready.token is required for prompt_token mode");
        }
        Integer delay = ready == null ? null : ready.startupDelayMs();
        if (delay != null && delay < 0) {
            throw ProcdException.invalid("repl.repl_config.ready.startup_delay_ms must be >= 0");
        }
        int startupDelay = delay == null || delay == 0 ? DEFAULT_STARTUP_DELAY_MS : delay;

        String term = blankToNull(config.defaultTerm()) == null ? "dumb" : config.defaultTerm();
        String customPrompt = config.prompt() == null ? null : blankToNull(config.prompt().customPrompt());
        String promptValue = customPrompt != null ? customPrompt : token;
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TERM", term);
        if (config.env() != null) {
            for (int i = 0; i < config.env().size(); i++) {
                REPLEnvVar v = config.env().get(i);
                if (v == null || blankToNull(v.name()) == null) {
                    throw ProcdException.invalid("repl.repl_config.env[" + i + "].name is required");
                }
                String from = blankToNull(v.valueFrom());
                String value;
                if (from == null) {
                    value = v.value() == null ? "" : v.value();
                } else if (from.equals("term")) {
                    value = term;
                } else if (from.equals("prompt")) {
                    if (promptValue == null) {
                        throw ProcdException.invalid("repl.repl_config.env[" + i
                                + "].value_from prompt needs prompt.custom_prompt or ready.token");
                    }
                    value = promptValue;
                } else {
                    throw ProcdException.invalid("repl.repl_config.env[" + i + "].value_from must be term or prompt");
                }
                env.put(v.name(), value);
            }
        }
        return new ReplProfile(name, List.copyOf(clean), env,
                mode == REPLReadyMode.PROMPT_TOKEN ? token : null, null,
                mode == REPLReadyMode.STARTUP_DELAY ? startupDelay : 0);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
