package ai.sandbox0.procd.http;

/** One operation of the procd API. */
@FunctionalInterface
public interface Rpc {
    Reply handle(Call call) throws Exception;
}
