package ai.sandbox0.api.context;

import java.util.List;

/** {@code ExecCandidate}: an executable searched in PATH, with its arguments. */
public record ExecCandidate(String name, List<String> args) {
}
