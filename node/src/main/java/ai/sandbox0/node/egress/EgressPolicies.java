package ai.sandbox0.node.egress;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The policies in force on this node, by sandbox address: what the proxy and the resolver look up for each
 * flow. A change is seen by the next lookup, and listeners hear of it (the proxy re-checks the open
 * connections of that sandbox and cuts the ones now denied).
 */
public final class EgressPolicies {

    private final ConcurrentHashMap<InetAddress, SandboxEgress> byAddress = new ConcurrentHashMap<>();
    private final List<Consumer<SandboxEgress>> listeners = new CopyOnWriteArrayList<>();

    public void put(String sandboxId, InetAddress address, EgressPolicy policy) {
        var entry = new SandboxEgress(sandboxId, IpRange.canonical(address), policy);
        byAddress.put(entry.address(), entry);
        listeners.forEach(l -> l.accept(entry));
    }

    /** Forgets the sandbox at {@code address}: its flows find no policy and are refused. */
    public void remove(InetAddress address) {
        SandboxEgress gone = byAddress.remove(IpRange.canonical(address));
        if (gone != null) {
            var closed = new SandboxEgress(gone.sandboxId(), gone.address(), null);
            listeners.forEach(l -> l.accept(closed));
        }
    }

    /** Forgets the sandbox wherever it is; nothing when it has no entry. */
    public void removeSandbox(String sandboxId) {
        byAddress.values().stream().filter(e -> e.sandboxId().equals(sandboxId)).map(SandboxEgress::address).toList()
                .forEach(this::remove);
    }

    public Optional<SandboxEgress> of(InetAddress source) {
        return Optional.ofNullable(byAddress.get(IpRange.canonical(source)));
    }

    /** Hears every put, and every removal as an entry with a null policy. */
    public void onChange(Consumer<SandboxEgress> listener) {
        listeners.add(listener);
    }
}
