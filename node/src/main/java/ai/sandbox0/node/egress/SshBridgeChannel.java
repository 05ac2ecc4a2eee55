package ai.sandbox0.node.egress;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.channel.PtyCapableChannelSession;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.PtyChannelConfiguration;
import org.apache.sshd.common.channel.PtyMode;
import org.apache.sshd.common.channel.RequestHandler;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sandbox's session channel, bridged to one opened on the upstream login: its terminal request (type, size,
 * modes), environment requests and window changes are passed on, its exec command, shell or subsystem (sftp) is
 * started upstream, stdin, stdout and stderr are copied both ways with their ends of file, and the upstream's
 * exit status (or exit signal) is the sandbox's. Copies run on virtual threads over MINA's blocking channel
 * streams, which carry SSH's window flow control.
 */
final class SshBridgeChannel extends ChannelSession {

    private static final Logger LOG = LoggerFactory.getLogger(SshBridgeChannel.class);
    private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration FOREVER = Duration.ofDays(3650);

    private final SshTermination termination;
    private final PtyChannelConfiguration pty = new PtyChannelConfiguration();
    private final Map<String, String> env = new LinkedHashMap<>();
    private volatile boolean ptyRequested;
    private volatile PtyCapableChannelSession upstreamTerminal;

    SshBridgeChannel(SshTermination termination) {
        this.termination = termination;
    }

    // ---- the sandbox's requests, recorded as they come (before the command starts)

    @Override
    protected RequestHandler.Result handlePtyReqParsed(String term, int columns, int rows, int width, int height,
            Map<PtyMode, Integer> modes) throws IOException {
        synchronized (pty) {
            ptyRequested = true;
            pty.setPtyType(term);
            pty.setPtyColumns(columns);
            pty.setPtyLines(rows);
            pty.setPtyWidth(width);
            pty.setPtyHeight(height);
            pty.setPtyModes(Map.copyOf(modes));
        }
        return super.handlePtyReqParsed(term, columns, rows, width, height, modes);
    }

    @Override
    protected RequestHandler.Result handleEnvParsed(String name, String value) throws IOException {
        synchronized (env) {
            env.put(name, value);
        }
        return super.handleEnvParsed(name, value);
    }

    @Override
    protected RequestHandler.Result handleWindowChangeParsed(int columns, int rows, int width, int height)
            throws IOException {
        synchronized (pty) {
            pty.setPtyColumns(columns);
            pty.setPtyLines(rows);
            pty.setPtyWidth(width);
            pty.setPtyHeight(height);
        }
        PtyCapableChannelSession up = upstreamTerminal;
        if (up != null && up.isOpen()) {
            up.sendWindowChange(columns, rows, height, width);
        }
        return super.handleWindowChangeParsed(columns, rows, width, height);
    }

    @Override
    protected RequestHandler.Result handleShellParsed(String request) throws IOException {
        return bridge(request, new Bridge(null, null));
    }

    @Override
    protected RequestHandler.Result handleExecParsed(String request, String command) throws IOException {
        return bridge(request, new Bridge(command, null));
    }

    @Override
    protected RequestHandler.Result handleSubsystemParsed(String request, String name) throws IOException {
        return bridge(request, new Bridge(null, name));
    }

    /** As MINA's own handlers do: the command is this channel's, and starts once the request is answered. */
    private RequestHandler.Result bridge(String request, Bridge command) throws IOException {
        commandInstance = command;
        return prepareChannelCommand(request, command);
    }

    /** The sandbox's exec, shell or subsystem, run upstream. */
    private final class Bridge implements Command {

        private final String exec;
        private final String subsystem;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private volatile ClientChannel upstream;

        Bridge(String exec, String subsystem) {
            this.exec = exec;
            this.subsystem = subsystem;
        }

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment environment) {
            Thread.ofVirtual().name("ssh-proxy-bridge").start(this::run);
        }

        @Override
        public void destroy(ChannelSession channel) {
            ClientChannel up = upstream;
            if (up != null) {
                up.close(false);
            }
        }

        private void run() {
            ClientChannel up;
            try {
                ClientSession login = termination.upstream(getSession()).get();
                up = open(login);
                upstream = up;
                up.open().verify(OPEN_TIMEOUT);
            } catch (ExecutionException e) {
                fail(e.getCause() == null ? "ssh_proxy: upstream login failed" : e.getCause().getMessage());
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("ssh_proxy: interrupted");
                return;
            } catch (IOException | RuntimeException e) {
                fail("ssh_proxy: the upstream refused the " + (subsystem != null ? subsystem + " subsystem"
                        : exec != null ? "command" : "shell"));
                return;
            }
            if (up instanceof PtyCapableChannelSession terminal && ptyRequested) {
                upstreamTerminal = terminal;
            }
            Thread input = Thread.ofVirtual().start(() -> copy(in, up.getInvertedIn(), true));
            Thread output = Thread.ofVirtual().start(() -> copy(up.getInvertedOut(), out, false));
            Thread errors = Thread.ofVirtual().start(() -> copy(up.getInvertedErr(), err, false));
            try {
                output.join();
                errors.join();
                up.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), FOREVER);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            input.interrupt();
            Integer status = up.getExitStatus();
            String signal = up.getExitSignal();
            try {
                if (signal != null) {
                    exitSignal(signal);
                    end();
                } else if (status != null) {
                    exit.onExit(status);
                } else {
                    end();
                }
            } catch (IOException e) {
                LOG.debug("egress: ssh_proxy: ending a channel: {}", e.toString());
                close(true);
            }
        }

        private ClientChannel open(ClientSession login) throws IOException {
            if (subsystem != null) {
                return login.createSubsystemChannel(subsystem);
            }
            Map<String, String> vars;
            synchronized (env) {
                vars = Map.copyOf(env);
            }
            PtyChannelConfiguration terminal = new PtyChannelConfiguration();
            synchronized (pty) {
                terminal.setPtyType(pty.getPtyType());
                terminal.setPtyColumns(pty.getPtyColumns());
                terminal.setPtyLines(pty.getPtyLines());
                terminal.setPtyWidth(pty.getPtyWidth());
                terminal.setPtyHeight(pty.getPtyHeight());
                terminal.setPtyModes(pty.getPtyModes());
            }
            PtyCapableChannelSession c = exec != null ? login.createExecChannel(exec, terminal, vars)
                    : login.createShellChannel(terminal, vars);
            c.setUsePty(ptyRequested);
            return c;
        }

        private void fail(String message) {
            try {
                err.write((message + "\r\n").getBytes(StandardCharsets.UTF_8));
                err.flush();
            } catch (IOException ignored) {
                // the sandbox is gone
            }
            exit.onExit(255, message);
        }
    }

    /** Copies until the end of {@code from}; {@code close} passes the end of file on. */
    private static void copy(InputStream from, OutputStream to, boolean close) {
        byte[] buffer = new byte[32 * 1024];
        try {
            for (int n; (n = from.read(buffer)) >= 0; ) {
                to.write(buffer, 0, n);
                to.flush();
            }
        } catch (InterruptedIOException e) {
            return;
        } catch (IOException e) {
            LOG.trace("egress: ssh_proxy copy ended: {}", e.toString());
        } finally {
            if (close) {
                try {
                    to.close();
                } catch (IOException ignored) {
                    // the channel is closed already
                }
            }
        }
    }

    /** Tells the sandbox the upstream command died of {@code signal} (RFC 4254 §6.10). */
    private void exitSignal(String signal) throws IOException {
        Buffer b = getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, 64);
        b.putUInt(getRecipient());
        b.putString("exit-signal");
        b.putBoolean(false);
        b.putString(signal);
        b.putBoolean(false);
        b.putString("");
        b.putString("");
        writePacket(b);
    }

    /** Ends the channel without an exit status (the upstream sent none). */
    private void end() throws IOException {
        sendEof();
        close(false);
    }
}
