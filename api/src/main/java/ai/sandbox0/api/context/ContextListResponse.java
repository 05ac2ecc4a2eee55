package ai.sandbox0.api.context;

import java.util.List;

/** {@code data} of {@code GET …/contexts}. */
public record ContextListResponse(List<ContextResponse> contexts) {
}
