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
import ai.sandbox0.node.SandboxSecurity;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.domain.DomainException.Forbidden;
import ai.sandbox0.server.domain.DomainException.Invalid;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A securityContext reaches the node as asked, or is refused naming the field: never a sandbox other than asked. */
class TemplateRulesTest {

    private static final Principal SYSTEM = new Principal("team", "user", "key", null, Set.of(), true);
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
    void whatTheRuntimeCanGiveIsAcceptedAndReachesTheNodeAsAsked() {
        var given = context(false, 1000L, 2000L, true, true, true,
                new Capabilities(List.of("net_raw", "CAP_KILL"), List.of("ALL")),
                new SeccompProfile(SecurityProfileType.RUNTIME_DEFAULT, null));
        SandboxTemplateSpec checked = rules.check(with(given), SYSTEM);
        assertThat(checked.mainContainer().securityContext()).isEqualTo(given);
        SandboxSecurity security = TemplateRules.security(checked);
        assertThat(security.uid()).isEqualTo(1000);
        assertThat(security.gid()).isEqualTo(2000);
        assertThat(security.readOnlyRoot()).isTrue();
        assertThat(security.noNewPrivileges()).as("allowPrivilegeEscalation lifts no_new_privs").isFalse();
        assertThat(security.seccomp()).isTrue();
        assertThat(security.capabilities(List.of("CAP_CHOWN", "CAP_KILL"))).containsExactly("CAP_KILL", "CAP_NET_RAW");

        var unconfined = context(null, 1000L, null, null, null, null,
                new Capabilities(List.of(), List.of("chown")), new SeccompProfile(SecurityProfileType.UNCONFINED, null));
        SandboxSecurity open = TemplateRules.security(rules.check(with(unconfined), SYSTEM));
        assertThat(open.gid()).as("the group defaults to the user's id").isEqualTo(1000);
        assertThat(open.seccomp()).isFalse();
        assertThat(open.noNewPrivileges()).isTrue();
        assertThat(open.capabilities(List.of("CAP_CHOWN", "CAP_KILL"))).containsExactly("CAP_KILL");
        assertThat(TemplateRules.security(with(null))).isEqualTo(SandboxSecurity.DEFAULT);
    }

    @Test
    void whatItCannotGiveIsA400NamingTheField() {
        var refused = List.of(
                context(true, null, null, null, null, null, null, null),
                context(null, 65536L, null, null, null, null, null, null),
                context(null, null, -1L, null, null, null, null, null),
                context(null, null, null, true, null, null, null, null),
                context(null, 0L, null, true, null, null, null, null),
                context(null, null, null, null, null, null, new Capabilities(List.of("SYS_ADMIN"), null), null),
                context(null, null, null, null, null, null, new Capabilities(null, List.of("FLY")), null),
                context(null, null, null, null, null, null, null, new SeccompProfile(SecurityProfileType.LOCALHOST, "p.json")));
        var fields = List.of("privileged", "runAsUser", "runAsGroup", "runAsNonRoot", "runAsNonRoot",
                "capabilities.add", "capabilities.drop", "seccompProfile");
        for (int i = 0; i < refused.size(); i++) {
            SecurityContext c = refused.get(i);
            assertThatThrownBy(() -> rules.check(with(c), SYSTEM)).isInstanceOf(Invalid.class)
                    .hasMessageStartingWith("spec.mainContainer.securityContext." + fields.get(i));
        }
    }

    @Test
    void aTeamMayTightenButNotLoosen() {
        var team = new Principal("team", "user", "key", null, Set.of(), false);
        var tighter = context(false, 1000L, null, true, true, false, new Capabilities(null, List.of("ALL")),
                new SeccompProfile(SecurityProfileType.RUNTIME_DEFAULT, null));
        assertThat(rules.check(with(tighter), team).mainContainer().securityContext()).isEqualTo(tighter);
        var looser = List.of(
                context(null, null, null, null, null, null, new Capabilities(List.of("NET_RAW"), null), null),
                context(null, null, null, null, null, true, null, null),
                context(null, null, null, null, null, null, null, new SeccompProfile(SecurityProfileType.UNCONFINED, null)));
        var fields = List.of("capabilities.add", "allowPrivilegeEscalation", "seccompProfile");
        for (int i = 0; i < looser.size(); i++) {
            SecurityContext c = looser.get(i);
            assertThatThrownBy(() -> rules.check(with(c), team)).isInstanceOf(Forbidden.class)
                    .hasMessage("spec.mainContainer.securityContext." + fields.get(i)
                            + " is privileged: only a system identity may set it");
        }
    }
}
