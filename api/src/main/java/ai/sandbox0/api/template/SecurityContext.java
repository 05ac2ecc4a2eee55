package ai.sandbox0.api.template;

/** Container security settings (privileged: system callers only). */
public record SecurityContext(
        Capabilities capabilities,
        Boolean privileged,
        Long runAsUser,
        Long runAsGroup,
        Boolean runAsNonRoot,
        Boolean readOnlyRootFilesystem,
        Boolean allowPrivilegeEscalation,
        SeccompProfile seccompProfile,
        AppArmorProfile appArmorProfile) {
}
