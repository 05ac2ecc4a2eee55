package ai.sandbox0.node.egress;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;

/**
 * Netty's epoll event loops, with every channel's socket kept in the epoll set for as long as the channel is
 * registered.
 *
 * <p>Netty 4.2's epoll registration removes a socket from the epoll set ({@code EPOLL_CTL_DEL}) when the
 * channel's interest becomes empty, but keeps believing it is there: the next interest is an
 * {@code EPOLL_CTL_MOD}, which fails with {@code ENOENT}, and Netty then closes the channel (a read asked
 * for) or shuts its output and fails its writes (a write waiting for room). A half-closed relay gets there
 * routinely: once a side's end of stream has been read, that side wants neither reads nor its end-of-stream
 * event, and while nothing waits to be written to it its interest is empty; the next read turned back on or
 * the first write that finds the socket buffer full then loses the connection. So an empty interest is
 * submitted as {@code EPOLLET} alone: the socket stays in the set, asking for nothing (errors and hang-ups,
 * which epoll always reports, come at most once per change).
 */
final class EpollRegistrations {

    private EpollRegistrations() {
    }

    static IoHandlerFactory factory() {
        IoHandlerFactory epoll = EpollIoHandler.newFactory();
        return executor -> new Handler(epoll.newHandler(executor));
    }

    private record Handler(IoHandler epoll) implements IoHandler {

        @Override
        public void initialize() {
            epoll.initialize();
        }

        @Override
        public int run(IoHandlerContext context) {
            return epoll.run(context);
        }

        @Override
        public void prepareToDestroy() {
            epoll.prepareToDestroy();
        }

        @Override
        public void destroy() {
            epoll.destroy();
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            return new Registration(epoll.register(handle));
        }

        @Override
        public void wakeup() {
            epoll.wakeup();
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return epoll.isCompatible(handleType);
        }
    }

    private record Registration(IoRegistration epoll) implements IoRegistration {

        @Override
        public <T> T attachment() {
            return epoll.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            if (ops instanceof EpollIoOps o && o.value() == EpollIoOps.NONE.value()) {
                epoll.submit(EpollIoOps.EPOLLET);
                return o.value();
            }
            return epoll.submit(ops);
        }

        @Override
        public boolean isValid() {
            return epoll.isValid();
        }

        @Override
        public boolean cancel() {
            return epoll.cancel();
        }
    }
}
