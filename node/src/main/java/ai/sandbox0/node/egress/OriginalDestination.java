package ai.sandbox0.node.egress;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Where a connection the firewall redirected to the proxy was going: {@code getsockopt(SOL_IP,
 * SO_ORIGINAL_DST)} reads it from the connection's conntrack entry. IPv4 only (sandboxes have no IPv6).
 */
@SuppressWarnings("restricted") // the point of this class; the build enables native access
final class OriginalDestination {

    private static final int SOL_IP = 0;
    private static final int SO_ORIGINAL_DST = 80;
    private static final int AF_INET = 2;
    /** struct sockaddr_in: family, port (network order), address (network order), padding. */
    private static final int SOCKADDR_IN = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle GETSOCKOPT = LINKER.downcallHandle(
            LINKER.defaultLookup().find("getsockopt").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.ADDRESS),
            Linker.Option.captureCallState("errno"));

    private OriginalDestination() {
    }

    /**
     * The destination the client asked for, or empty when the connection was not redirected (no conntrack
     * entry: {@code ENOENT}) or is not IPv4.
     */
    static Optional<InetSocketAddress> of(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment addr = arena.allocate(SOCKADDR_IN);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, SOCKADDR_IN);
            int rc = (int) GETSOCKOPT.invokeExact(state, fd, SOL_IP, SO_ORIGINAL_DST, addr, len);
            if (rc != 0) {
                int errno = (int) ERRNO.get(state, 0L);
                if (errno == 2 || errno == 92 || errno == 22) { // ENOENT, ENOPROTOOPT, EINVAL: not redirected
                    return Optional.empty();
                }
                throw new IllegalStateException("getsockopt(SO_ORIGINAL_DST) failed: errno " + errno);
            }
            if ((addr.get(ValueLayout.JAVA_SHORT, 0) & 0xffff) != AF_INET) {
                return Optional.empty();
            }
            int port = ((addr.get(ValueLayout.JAVA_BYTE, 2) & 0xff) << 8) | (addr.get(ValueLayout.JAVA_BYTE, 3) & 0xff);
            byte[] ip = addr.asSlice(4, 4).toArray(ValueLayout.JAVA_BYTE);
            return Optional.of(new InetSocketAddress(InetAddress.getByAddress(ip), port));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("getsockopt(SO_ORIGINAL_DST)", t);
        }
    }
}
