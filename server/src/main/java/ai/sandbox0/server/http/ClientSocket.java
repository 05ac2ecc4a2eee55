package ai.sandbox0.server.http;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SelectableChannelEndPoint;
import org.eclipse.jetty.server.Request;

/**
 * The client's end of a streaming reply that may have nothing to send for hours (a log follow). Jetty
 * reads nothing from a connection while its request is handled, so a client that hangs up is noticed
 * only at the next write; this watches the socket itself instead. It never reads: readable means the
 * client closed its side (or sent bytes a streaming GET never expects), and either way the stream is
 * done; unread bytes stay for Jetty. On an endpoint that is not a plain socket (TLS), it never tells.
 */
public final class ClientSocket implements AutoCloseable {

    private final Selector selector;
    private final SelectionKey key;

    private ClientSocket(Selector selector, SelectionKey key) {
        this.selector = selector;
        this.key = key;
    }

    static ClientSocket of(Request request) {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        if (endPoint instanceof SelectableChannelEndPoint socket) {
            SelectableChannel channel = socket.getChannel();
            try {
                Selector selector = Selector.open();
                try {
                    // A second registration beside Jetty's own: a channel may sit in several selectors.
                    return new ClientSocket(selector, channel.register(selector, SelectionKey.OP_READ));
                } catch (IOException | RuntimeException e) {
                    selector.close();
                }
            } catch (IOException e) {
                // no selector: behave as if the client never leaves
            }
        }
        return new ClientSocket(null, null);
    }

    /** Waits up to {@code millis}; true once the client has hung up. */
    public boolean awaitGone(long millis) throws InterruptedException {
        if (selector == null) {
            Thread.sleep(millis);
            return false;
        }
        try {
            selector.select(millis);
            return !key.isValid() || key.isReadable();
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    @Override
    public void close() {
        if (selector != null) {
            try {
                selector.close(); // deregisters from this selector only
            } catch (IOException ignored) {
                // nothing held
            }
        }
    }
}
