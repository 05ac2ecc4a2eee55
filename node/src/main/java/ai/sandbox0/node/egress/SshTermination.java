package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.EgressAuthFailurePolicy;
import ai.sandbox0.api.network.EgressCredentialRule;
import io.netty.channel.Channel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where {@code ssh_proxy} flows end: an SSH server on a loopback port of the node, which a flow's bytes are
 * relayed to, and the SSH client that logs in to the flow's destination for it. The server admits only the
 * binding's {@code sandboxPublicKeys}; the client accepts the destination only with a host key one of the
 * binding's {@code knownHosts} lines names for it (none: refused) and logs in as {@code upstreamUsername} with
 * the binding's key, which never leaves the node. Session channels (exec, shell, subsystems such as sftp) are
 * bridged one to one ({@link SshBridgeChannel}); port, agent and X11 forwarding are refused.
 *
 * <p>A loopback listener rather than handing MINA the accepted socket: MINA's transports own their sockets from
 * accept on, while a flow is accepted, classified, decided and metered by the proxy's Netty loop first. Relayed
 * to this listener, the flow keeps its relay, byte counts, metering and audit record as every other flow; the
 * SSH server finds the flow again by the loopback connection's source port, registered before any byte of the
 * sandbox's is relayed (so before any login can be asked for).
 */
final class SshTermination implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SshTermination.class);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(30);
    private static final AttributeRepository.AttributeKey<Terminated> FLOW = new AttributeRepository.AttributeKey<>();
    private static final AttributeRepository.AttributeKey<Login> LOGIN = new AttributeRepository.AttributeKey<>();
    private static final AttributeRepository.AttributeKey<CompletableFuture<ClientSession>> UPSTREAM =
            new AttributeRepository.AttributeKey<>();

    /** A flow ended here: its sandbox, where it was going (and by which name), and its binding's material. */
    record Terminated(String sandboxId, InetSocketAddress destination, String host, SshAccess access) {
    }

    /** What becomes of an {@code ssh_proxy} flow once its rule's material was asked for. */
    sealed interface Outcome {

        /** Relay the flow to {@link #server()}, after {@link #bind(Channel)}. */
        record Terminate(SshTermination termination, Terminated flow) implements Outcome {

            InetSocketAddress server() {
                return termination.address;
            }

            /** Names the loopback connection carrying the flow, for as long as it is open. */
            void bind(Channel loopback) {
                int port = ((InetSocketAddress) loopback.localAddress()).getPort();
                termination.flows.put(port, flow);
                loopback.closeFuture().addListener(f -> termination.flows.remove(port, flow));
            }
        }

        /** No material, {@code fail-open}: relayed as it is. */
        record Untouched() implements Outcome {
        }

        /** No material, {@code fail-closed}: the sandbox's connection is cut. */
        record Refused(String reason) implements Outcome {
        }
    }

    /** One upstream login attempt: whether it failed on the host key, for the message the sandbox gets. */
    private static final class Login {
        final Terminated flow;
        volatile boolean hostKeyRefused;

        Login(Terminated flow) {
            this.flow = flow;
        }
    }

    private final SshServer server;
    private final SshClient client;
    private final InetSocketAddress address;
    private final ConcurrentHashMap<Integer, Terminated> flows = new ConcurrentHashMap<>();

    private SshTermination(SshHostKey hostKey) throws IOException {
        client = SshClient.setUpDefaultClient();
        // Nothing of the node's own SSH setup (~/.ssh/config, its keys, an agent) takes part in a login.
        client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        client.setAgentFactory(null);
        client.setUserAuthFactories(List.of(org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory.INSTANCE));
        client.setServerKeyVerifier((session, remote, key) -> {
            Login login = session.getConnectionContext() == null ? null : session.getConnectionContext().getAttribute(LOGIN);
            boolean known = login != null && login.flow.access().knows(login.flow.host(), login.flow.destination(), key);
            if (!known && login != null) {
                login.hostKeyRefused = true;
            }
            return known;
        });
        CoreModuleProperties.IDLE_TIMEOUT.set(client, Duration.ZERO);
        client.start();

        server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(KeyPairProvider.wrap(hostKey.pair()));
        server.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setGSSAuthenticator(null);
        server.setHostBasedAuthenticator(null);
        server.setPublickeyAuthenticator((username, key, session) -> {
            Terminated flow = session.getAttribute(FLOW);
            if (flow == null && session.getClientAddress() instanceof InetSocketAddress from) {
                flow = flows.get(from.getPort());
                if (flow != null) {
                    session.setAttribute(FLOW, flow);
                }
            }
            return flow != null && flow.access().admits(key); // any user name: the upstream one is the binding's
        });
        server.setChannelFactories(List.of(new ChannelFactory() {
            @Override
            public String getName() {
                return "session";
            }

            @Override
            public org.apache.sshd.common.channel.Channel createChannel(Session session) {
                return new SshBridgeChannel(SshTermination.this);
            }
        }));
        server.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
        server.setAgentFactory(null);
        // A quiet interactive session stays open as long as the sandbox keeps it.
        CoreModuleProperties.IDLE_TIMEOUT.set(server, Duration.ZERO);
        server.addSessionListener(new SessionListener() {
            @Override
            public void sessionEvent(Session session, Event event) {
                if (event == Event.Authenticated && session instanceof ServerSession s) {
                    upstream(s); // logs in upstream at once: a refusal ends the session before any channel
                }
            }

            @Override
            public void sessionClosed(Session session) {
                CompletableFuture<ClientSession> up = session.getAttribute(UPSTREAM);
                if (up != null) {
                    up.thenAccept(c -> c.close(true));
                }
            }
        });
        try {
            server.start();
        } catch (IOException e) {
            client.stop();
            throw e;
        }
        address = new InetSocketAddress("127.0.0.1", server.getPort());
    }

    static SshTermination start(SshHostKey hostKey) {
        try {
            return new SshTermination(hostKey);
        } catch (IOException e) {
            throw new IllegalStateException("the ssh_proxy server cannot start: " + e.getMessage(), e);
        }
    }

    /**
     * What to do with a flow {@code rule} applies to, once its material was asked for (this may block: call it
     * off the event loop): end it here, relay it untouched ({@code fail-open}) or cut it.
     */
    Outcome outcome(String sandboxId, InetSocketAddress destination, String host, EgressCredentialRule rule,
            EgressCredentials credentials) {
        String ref = rule.credentialRef();
        BindingMaterial.Fetched fetched = BindingMaterial.fetch(credentials, sandboxId, ref);
        if (fetched.failure() != null) {
            return failed(rule, fetched.failure());
        }
        if (fetched.material() instanceof EgressMaterial.SshLogin login) {
            try {
                return new Outcome.Terminate(this, new Terminated(sandboxId, destination, host, SshAccess.of(login)));
            } catch (SshAccess.Unusable e) {
                LOG.info("egress: {}: ssh credential {}: {}", sandboxId, ref, e.getMessage());
            }
        }
        return failed(rule, BindingMaterial.MATERIAL_UNAVAILABLE);
    }

    /** The rule's failure policy applied: untouched when {@code fail-open}, else cut for {@code reason}. */
    static Outcome failed(EgressCredentialRule rule, String reason) {
        return rule.failurePolicy() == EgressAuthFailurePolicy.FAIL_OPEN ? new Outcome.Untouched()
                : new Outcome.Refused(reason);
    }

    /** The sandbox session's login upstream, started on first use (once the sandbox side is authenticated). */
    CompletableFuture<ClientSession> upstream(ServerSession session) {
        return session.computeAttributeIfAbsent(UPSTREAM, k -> {
            var f = new CompletableFuture<ClientSession>();
            Thread.ofVirtual().name("ssh-proxy-login").start(() -> login(session, f));
            return f;
        });
    }

    private void login(ServerSession session, CompletableFuture<ClientSession> done) {
        Terminated flow = session.getAttribute(FLOW);
        if (flow == null) {
            done.completeExceptionally(new IOException("no flow"));
            return;
        }
        var attempt = new Login(flow);
        ClientSession up = null;
        try {
            up = client.connect(flow.access().username(), flow.destination(),
                    AttributeRepository.ofKeyValuePair(LOGIN, attempt), (SocketAddress) null)
                    .verify(CONNECT_TIMEOUT).getSession();
            up.addPublicKeyIdentity(flow.access().key());
            up.auth().verify(LOGIN_TIMEOUT);
            up.addCloseFutureListener(f -> session.close(false));
            done.complete(up);
            if (session.isClosing() || !session.isOpen()) {
                up.close(true);
            }
        } catch (IOException | RuntimeException e) {
            if (up != null) {
                up.close(true);
            }
            String why = attempt.hostKeyRefused
                    ? "ssh_proxy: the host key of " + where(flow) + " is not in the binding's knownHosts"
                    : "ssh_proxy: cannot log in to " + where(flow) + " as " + flow.access().username();
            LOG.info("egress: {}: {} ({})", flow.sandboxId(), why, e.getClass().getSimpleName());
            done.completeExceptionally(new IOException(why));
            try {
                session.disconnect(attempt.hostKeyRefused ? SshConstants.SSH2_DISCONNECT_HOST_KEY_NOT_VERIFIABLE
                        : SshConstants.SSH2_DISCONNECT_BY_APPLICATION, why);
            } catch (IOException | RuntimeException ignored) {
                session.close(true);
            }
        }
    }

    private static String where(Terminated flow) {
        String at = flow.host() != null ? flow.host() : flow.destination().getAddress().getHostAddress();
        return flow.destination().getPort() == 22 ? at : at + ":" + flow.destination().getPort();
    }

    @Override
    public void close() {
        try {
            server.stop(true);
        } catch (IOException e) {
            LOG.debug("egress: ssh_proxy server: {}", e.toString());
        }
        client.stop();
    }
}
