package ai.sandbox0.server.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.template.Capabilities;
import ai.sandbox0.api.template.ContainerSpec;
import ai.sandbox0.api.template.ResourceQuota;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.api.template.SeccompProfile;
import ai.sandbox0.api.template.SecurityContext;
import ai.sandbox0.api.template.SecurityProfileType;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.domain.DomainException.Invalid;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A securityContext this server cannot honour is refused naming the field: never a weaker sandbox than asked. */
class TemplateRulesTest {

    private static final Principal SYSTEM = new Principal("team", "user", "key", Set.of(), true);
    private final TemplateRules rules = new TemplateRules(4L << 30);

    private static SandboxTemplateSpec with(SecurityContext context) {
        return new SandboxTemplateSpec(null, null, null, new ContainerSpec("default", null, null,
                new ResourceQuota("500m", "2Gi", null), context), null, null, null, null, null, null);
    }

    private static SecurityContext context(Boolean privileged, Long user, Long group, Boolean nonRoot, Boolean readOnly,
            Boolean escalation, Capabilities caps, SeccompProfile seccomp) {
        return new SecurityContext(caps, privileged, user, group, nonRoot, readOnly, escalation, seccomp, null);
    }

    @Test
    void whatTheRuntimeGivesIsAccepted() {
        var given = context(false, 0L, 0L, false, false, false, new Capabilities(List.of(), List.of()),
                new SeccompProfile(SecurityProfileType.RUNTIME_DEFAULT, null));
        assertThat(rules.check(with(given), SYSTEM).mainContainer().securityContext()).isEqualTo(given);
    }

    @Test
    void anythingElseIsA400NamingTheField() {
        var refused = List.of(
                context(true, null, null, null, null, null, null, null),
                context(null, 1000L, null, null, null, null, null, null),
                context(null, null, 1000L, null, null, null, null, null),
                context(null, null, null, true, null, null, null, null),
                context(null, null, null, null, true, null, null, null),
                context(null, null, null, null, null, true, null, null),
                context(null, null, null, null, null, null, new Capabilities(List.of(), List.of("ALL")), null),
                context(null, null, null, null, null, null, new Capabilities(List.of("SYS_ADMIN"), null), null),
                context(null, null, null, null, null, null, null, new SeccompProfile(SecurityProfileType.UNCONFINED, null)));
        var fields = List.of("privileged", "runAsUser", "runAsGroup", "runAsNonRoot", "readOnlyRootFilesystem",
                "allowPrivilegeEscalation", "capabilities", "capabilities", "seccompProfile");
        for (int i = 0; i < refused.size(); i++) {
            SecurityContext c = refused.get(i);
            assertThatThrownBy(() -> rules.check(with(c), SYSTEM)).isInstanceOf(Invalid.class)
                    .hasMessageStartingWith("spec.mainContainer.securityContext." + fields.get(i));
        }
    }
}
