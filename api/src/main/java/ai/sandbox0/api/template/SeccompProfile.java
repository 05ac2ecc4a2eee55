package ai.sandbox0.api.template;

/** The seccomp profile of the container. */
public record SeccompProfile(
        SecurityProfileType type,
        // Required when type is Localhost.
        String localhostProfile) {
}
