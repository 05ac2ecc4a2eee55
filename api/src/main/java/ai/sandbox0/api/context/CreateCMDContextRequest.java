package ai.sandbox0.api.context;

import java.util.List;

/** {@code CreateCMDContextRequest}: the argv to execute. */
public record CreateCMDContextRequest(List<String> command) {
}
