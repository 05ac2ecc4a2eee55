package ai.sandbox0.api.template;

/** The warm pool: idle sandboxes kept ready for claims. */
public record PoolStrategy(
        Integer minIdle,
        Integer maxIdle) {
}
