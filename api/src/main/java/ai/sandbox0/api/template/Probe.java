package ai.sandbox0.api.template;

/** A Kubernetes-style container probe. */
public record Probe(
        ExecAction exec,
        HttpGetAction httpGet,
        TcpSocketAction tcpSocket,
        GrpcAction grpc,
        Integer initialDelaySeconds,
        Integer timeoutSeconds,
        Integer periodSeconds,
        Integer successThreshold,
        Integer failureThreshold,
        Long terminationGracePeriodSeconds) {
}
