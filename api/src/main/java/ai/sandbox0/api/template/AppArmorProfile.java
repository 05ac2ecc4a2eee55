package ai.sandbox0.api.template;

/** The AppArmor profile of the container. */
public record AppArmorProfile(
        SecurityProfileType type,
        // Required when type is Localhost.
        String localhostProfile) {
}
