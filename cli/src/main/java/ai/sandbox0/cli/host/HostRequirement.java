package ai.sandbox0.cli.host;

/** A program the node runtime runs, and the Debian package that provides it. */
public record HostRequirement(String binary, String debianPackage, String why) {
}
