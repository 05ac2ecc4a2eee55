package ai.sandbox0.cli;

import ai.sandbox0.cli.host.HostCheck;
import ai.sandbox0.cli.host.HostSetup;
import ai.sandbox0.cli.host.PackageInstaller;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code s0 host}: whether this machine can run sandboxes, and the fix when it cannot. */
@Command(name = "host", mixinStandardHelpOptions = true,
        description = "Check (and with --install, prepare) this machine for running sandboxes.")
final class HostCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--install", description = "Install missing Debian packages with apt-get (needs root).")
    boolean install;

    @Option(names = "--profile", defaultValue = "server",
            description = "What to prepare for: server (run sandboxes) or tests (also what the test suite drives).")
    String profile;

    @Override
    public Integer call() {
        var requirements = switch (profile) {
            case "server" -> HostCheck.SERVER;
            case "tests" -> HostCheck.TESTS;
            default -> throw new ParameterException(spec.commandLine(),
                    "--profile must be server or tests, not '" + profile + "'");
        };
        var report = new HostSetup(HostCheck.ofThisHost(), new PackageInstaller(System.out), System.out)
                .prepare(requirements, install);
        if (report.ready()) {
            System.out.println("Host check: ready to run sandboxes.");
            System.out.println("Sandbox storage: each run writes to an ext4 disk of its own (a sparse image on a loop"
                    + " device) sized by the template's ephemeralStorage; writes past it fail with ENOSPC inside the"
                    + " sandbox.");
            return 0;
        }
        return 2;
    }
}
