package ai.sandbox0.node.net;

import ai.sandbox0.node.egress.EgressPolicy;
import ai.sandbox0.node.runtime.HostCommand;
import ai.sandbox0.node.runtime.SetupException;
import ai.sandbox0.node.runtime.Step;
import java.nio.file.Path;
import java.util.List;

/** Applies {@link FirewallRules} with the {@code nft} binary, reading scripts from stdin. */
public final class Firewall {

    private final Path nft;
    private final FirewallRules rules;

    public Firewall(Path nft, FirewallRules rules) {
        this.nft = nft;
        this.rules = rules;
    }

    public FirewallRules rules() {
        return rules;
    }

    public void install(List<FirewallRules.SandboxChain> sandboxes) throws SetupException {
        apply(rules.install(sandboxes));
    }

    public void attach(String hostVeth, int slot, EgressPolicy policy) throws SetupException {
        apply(rules.attach(hostVeth, slot, policy));
    }

    public void detach(String hostVeth, int slot) throws SetupException {
        apply(rules.detach(hostVeth, slot));
    }

    public void remove() throws SetupException {
        apply(rules.remove());
    }

    private void apply(String script) throws SetupException {
        HostCommand.check(Step.FIREWALL, List.of(nft.toString(), "-f", "-"), script);
    }
}
