package ai.sandbox0.node.egress;

import io.netty.buffer.ByteBuf;
import java.util.function.Consumer;

/**
 * What the client of a flow the proxy logs in for (Redis, MQTT) sends, on its way upstream: passed on as it
 * came except for the few messages that carry a login, whose credentials become the stored ones.
 */
interface ClientRewrite {

    /**
     * Takes {@code in} (released here) and hands {@code out} what goes upstream, in order.
     *
     * @throws Malformed when the bytes are not the protocol they were classified as
     */
    void feed(ByteBuf in, Consumer<ByteBuf> out) throws Malformed;

    /** The flow ended: whatever is held is released. */
    void release();

    /** The client's bytes cannot be read as its protocol: the flow is cut. */
    final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }
}
