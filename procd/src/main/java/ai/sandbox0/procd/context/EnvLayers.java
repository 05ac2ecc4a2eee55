package ai.sandbox0.procd.context;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The environment of every process procd starts: procd's own environment (minus its private
 * {@code SANDBOX0_PROCD_*} settings, which include the token) &lt; template env &lt; sandbox env &lt;
 * the context's {@code env_vars}. The template and sandbox layers come from the node runtime (an env
 * file at start, {@code PUT /api/v1/env} later) and apply to processes started after a change.
 */
public final class EnvLayers {

    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final Map<String, String> inherited;
    private volatile Map<String, String> template;
    private volatile Map<String, String> sandbox;

    public EnvLayers(Map<String, String> processEnv, Map<String, String> template, Map<String, String> sandbox) {
        Map<String, String> clean = new LinkedHashMap<>();
        processEnv.forEach((k, v) -> {
            if (!k.startsWith("SANDBOX0_PROCD_") && !k.equals("JAVA_TOOL_OPTIONS") && !k.equals("JDK_JAVA_OPTIONS")) {
                clean.put(k, v);
            }
        });
        this.inherited = Map.copyOf(clean);
        set(template, sandbox);
    }

    public void set(Map<String, String> template, Map<String, String> sandbox) {
        this.template = template == null ? Map.of() : Map.copyOf(template);
        this.sandbox = sandbox == null ? Map.of() : Map.copyOf(sandbox);
    }

    public Map<String, String> template() {
        return template;
    }

    public Map<String, String> sandbox() {
        return sandbox;
    }

    /** Layers in order; later maps win. {@code forced} is applied last (prompt variables a REPL needs). */
    public Map<String, String> compose(Map<String, String> profile, Map<String, String> context,
                                       Map<String, String> forced) {
        Map<String, String> env = new LinkedHashMap<>(inherited);
        env.putAll(template);
        env.putAll(sandbox);
        env.putAll(profile);
        env.putAll(context);
        env.putAll(forced);
        env.putIfAbsent("PATH", DEFAULT_PATH);
        return env;
    }

    public static List<String> envp(Map<String, String> env) {
        List<String> out = new ArrayList<>(env.size());
        env.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    /**
     * Finds {@code name} in the child's PATH (glibc's spawnp would search procd's). Version-manager
     * shims (…/shims/…, e.g. pyenv's bash wrapper) are taken only if nothing else is found: they cost
     * tens of milliseconds per start.
     */
    public static String lookPath(String name, Map<String, String> env, String cwd) {
        if (name.contains("/")) {
            Path p = Path.of(cwd == null ? "/" : cwd).resolve(name);
            return Files.isExecutable(p) && !Files.isDirectory(p) ? p.toString() : null;
        }
        String shim = null;
        for (String dir : env.getOrDefault("PATH", DEFAULT_PATH).split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                if (dir.endsWith("/shims")) {
                    shim = shim == null ? p.toString() : shim;
                    continue;
                }
                return p.toString();
            }
        }
        return shim;
    }
}
