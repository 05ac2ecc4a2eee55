package ai.sandbox0.node.runtime;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** What {@code runc state} and {@code runc list} say about one container. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ContainerState(String id, int pid, String status, String bundle) {

    public boolean running() {
        return "running".equals(status);
    }
}
