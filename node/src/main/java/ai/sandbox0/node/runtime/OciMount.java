package ai.sandbox0.node.runtime;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One entry of {@code mounts} in config.json. */
public record OciMount(String destination, String type, String source, List<String> options) {

    public OciMount {
        if (!destination.startsWith("/")) {
            throw new IllegalArgumentException("mount destination must be absolute: " + destination);
        }
        options = List.copyOf(options);
    }

    /** A host file or directory, read-only, with no device files and no setuid. */
    public static OciMount readOnlyBind(Path source, String destination) {
        return new OciMount(destination, "bind", source.toString(),
                List.of("rbind", "ro", "nosuid", "nodev", "rprivate"));
    }

    public static OciMount writableBind(Path source, String destination) {
        return new OciMount(destination, "bind", source.toString(), List.of("rbind", "nosuid", "nodev", "rprivate"));
    }

    public Map<String, Object> toOci() {
        var m = new LinkedHashMap<String, Object>();
        m.put("destination", destination);
        m.put("type", type);
        m.put("source", source);
        m.put("options", options);
        return m;
    }
}
