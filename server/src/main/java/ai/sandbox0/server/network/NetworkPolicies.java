package ai.sandbox0.server.network;

import ai.sandbox0.api.network.CredentialBinding;
import ai.sandbox0.api.network.EgressCredentialRule;
import ai.sandbox0.api.network.NetworkEgressPolicy;
import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.api.network.ProtocolRule;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.network.TrafficRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Function;

/**
 * The policy in force for a sandbox: its template's, with the sandbox's own on top, as upstream merges them.
 * The sandbox's mode wins; its legacy lists add to the template's; its named rules and bindings replace the
 * template's of the same name (unnamed ones are added after); its proxy replaces the template's.
 */
public final class NetworkPolicies {

    private NetworkPolicies() {
    }

    /** Never null: without either policy a sandbox gets plain allow-all. */
    public static SandboxNetworkPolicy effective(SandboxNetworkPolicy template, SandboxNetworkPolicy request) {
        if (template == null && request == null) {
            return new SandboxNetworkPolicy(NetworkMode.ALLOW_ALL, null, null);
        }
        if (template == null) {
            return request;
        }
        if (request == null) {
            return template;
        }
        NetworkMode mode = request.mode() != null ? request.mode() : template.mode();
        List<CredentialBinding> bindings = byKey(template.credentialBindings(), request.credentialBindings(),
                CredentialBinding::ref);
        NetworkEgressPolicy t = template.egress();
        NetworkEgressPolicy r = request.egress();
        NetworkEgressPolicy egress;
        if (r == null) {
            egress = t;
        } else if (t == null) {
            egress = r;
        } else {
            egress = new NetworkEgressPolicy(
                    concat(t.allowedCidrs(), r.allowedCidrs()),
                    concat(t.allowedDomains(), r.allowedDomains()),
                    concat(t.allowedPorts(), r.allowedPorts()),
                    concat(t.deniedDomains(), r.deniedDomains()),
                    concat(t.deniedCidrs(), r.deniedCidrs()),
                    concat(t.deniedPorts(), r.deniedPorts()),
                    byKey(t.trafficRules(), r.trafficRules(), TrafficRule::name),
                    byKey(t.protocolRules(), r.protocolRules(), ProtocolRule::name),
                    byKey(t.credentialRules(), r.credentialRules(), EgressCredentialRule::name),
                    r.proxy() != null ? r.proxy() : t.proxy());
        }
        return new SandboxNetworkPolicy(mode, egress, bindings);
    }

    /** The policy as the API answers it: bindings left out when there are none. */
    public static SandboxNetworkPolicy view(SandboxNetworkPolicy policy) {
        if (policy.credentialBindings() != null && policy.credentialBindings().isEmpty()) {
            return new SandboxNetworkPolicy(policy.mode(), policy.egress(), null);
        }
        return policy;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        if (a == null || a.isEmpty()) {
            return b;
        }
        if (b == null || b.isEmpty()) {
            return a;
        }
        var out = new ArrayList<T>(a);
        out.addAll(b);
        return out;
    }

    /** {@code base} with {@code override}'s items replacing those of the same non-blank key, the rest appended. */
    static <T> List<T> byKey(List<T> base, List<T> override, Function<T, String> key) {
        if (base == null || base.isEmpty()) {
            return override;
        }
        if (override == null || override.isEmpty()) {
            return base;
        }
        var keyed = new LinkedHashMap<Object, T>();
        int unnamed = 0;
        for (List<T> list : List.of(base, override)) {
            for (T item : list) {
                String k = item == null ? null : key.apply(item);
                keyed.put(k == null || k.isBlank() ? (Object) Integer.valueOf(unnamed++) : k, item);
            }
        }
        return List.copyOf(keyed.values());
    }
}
