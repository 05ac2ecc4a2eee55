package ai.sandbox0.cli.host;

import java.io.PrintStream;
import java.util.List;

/**
 * Checks the host and, when allowed and possible (root with apt), installs what is missing; otherwise
 * prints exactly what to install. Never fails the caller: the API runs without sandbox support.
 */
public final class HostSetup {

    private final HostCheck check;
    private final PackageInstaller installer;
    private final PrintStream out;

    public HostSetup(HostCheck check, PackageInstaller installer, PrintStream out) {
        this.check = check;
        this.installer = installer;
        this.out = out;
    }

    public HostCheck.Report prepare(List<HostRequirement> requirements, boolean install) {
        HostCheck.Report report = check.check(requirements);
        if (!report.missing().isEmpty() && install && report.root() && PackageInstaller.available()) {
            installer.install(report.missingPackages());
            report = check.check(requirements);
        }
        print(report);
        return report;
    }

    private void print(HostCheck.Report report) {
        if (report.ready()) {
            return;
        }
        out.println("Host check: this machine cannot run sandboxes yet.");
        report.problems().forEach(problem -> out.println("  - " + problem));
        for (HostRequirement missing : report.missing()) {
            out.println("  - " + missing.binary() + " is missing (it " + missing.why() + ")");
        }
        if (!report.missing().isEmpty()) {
            out.println("  Install with: " + report.installCommand());
        }
    }
}
