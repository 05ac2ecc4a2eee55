package ai.sandbox0.api.template;

/** A probe that calls the gRPC health service. */
public record GrpcAction(
        Integer port,
        String service) {
}
