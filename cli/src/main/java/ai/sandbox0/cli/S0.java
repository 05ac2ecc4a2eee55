package ai.sandbox0.cli;

import ai.sandbox0.server.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code s0}: the server ({@code s0 server}) and, as they arrive, the client commands ({@code s0 <noun> <verb>}). */
@Command(name = "s0",
        mixinStandardHelpOptions = true,
        versionProvider = S0.VersionProvider.class,
        description = "Sandbox0: isolated, persistent sandboxes for AI agents.",
        subcommands = {ServerCommand.class, HostCommand.class})
public final class S0 {

    public static void main(String[] args) {
        int code = new CommandLine(new S0())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("s0: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                    return 1;
                })
                .execute(args);
        if (code != 0 || !ServerCommand.RUNNING.get()) {
            System.exit(code);
        }
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"s0 " + Version.current()};
        }
    }
}
