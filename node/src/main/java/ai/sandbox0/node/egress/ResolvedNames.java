package ai.sandbox0.node.egress;

import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The addresses each sandbox got from the node's resolver, and for which name it asked: an answer reached
 * through aliases (CNAMEs) is recorded under the name asked, since that is the name the policy allowed.
 * <p>
 * A record lasts as long as the answer's TTL, but at least {@link #MIN_TTL} (a zero-TTL answer is still
 * used for the connection that follows it) and at most {@link #MAX_TTL} (a stale name should not classify
 * flows for days). Each sandbox keeps at most {@code perSandbox} records, the oldest dropped first, so a
 * sandbox resolving random names cannot grow the node's memory. A sandbox's records go when its policy
 * entry goes.
 */
public final class ResolvedNames implements NameRecords {

    public static final Duration MIN_TTL = Duration.ofSeconds(30);
    public static final Duration MAX_TTL = Duration.ofHours(1);
    public static final int DEFAULT_PER_SANDBOX = 4096;

    private record Entry(String name, long expiresAt) {
    }

    private final ConcurrentHashMap<InetAddress, LinkedHashMap<InetAddress, Entry>> bySandbox = new ConcurrentHashMap<>();
    private final EgressPolicies policies;
    private final int perSandbox;
    private final LongSupplier nanoClock;

    public ResolvedNames(EgressPolicies policies) {
        this(policies, DEFAULT_PER_SANDBOX, System::nanoTime);
    }

    ResolvedNames(EgressPolicies policies, int perSandbox, LongSupplier nanoClock) {
        this.policies = policies;
        this.perSandbox = perSandbox;
        this.nanoClock = nanoClock;
        policies.onChange(entry -> {
            if (entry.policy() == null) {
                bySandbox.remove(entry.address());
            }
        });
    }

    /** Records that {@code sandbox} resolved {@code name} to {@code address}, for {@code ttlSeconds}. */
    public void record(InetAddress sandbox, String name, InetAddress address, long ttlSeconds) {
        InetAddress key = IpRange.canonical(sandbox);
        long ttl = Math.clamp(ttlSeconds, MIN_TTL.toSeconds(), MAX_TTL.toSeconds());
        var entry = new Entry(DomainPattern.normalize(name), nanoClock.getAsLong() + ttl * 1_000_000_000L);
        var names = bySandbox.computeIfAbsent(key, k -> new LinkedHashMap<>());
        synchronized (names) {
            names.remove(IpRange.canonical(address));
            names.put(IpRange.canonical(address), entry);
            var oldest = names.keySet().iterator();
            while (names.size() > perSandbox) {
                oldest.next();
                oldest.remove();
            }
        }
        // The sandbox may have gone while this answer was on its way: its records must not outlive it.
        if (policies.of(key).isEmpty()) {
            bySandbox.remove(key);
        }
    }

    @Override
    public Optional<String> nameOf(InetAddress sandbox, InetAddress address) {
        var names = bySandbox.get(IpRange.canonical(sandbox));
        if (names == null) {
            return Optional.empty();
        }
        synchronized (names) {
            InetAddress a = IpRange.canonical(address);
            Entry e = names.get(a);
            if (e == null) {
                return Optional.empty();
            }
            if (nanoClock.getAsLong() - e.expiresAt() >= 0) {
                names.remove(a);
                return Optional.empty();
            }
            return Optional.of(e.name());
        }
    }

    /** How many records {@code sandbox} has (expired ones included until looked up or pushed out). */
    public int size(InetAddress sandbox) {
        var names = bySandbox.get(IpRange.canonical(sandbox));
        if (names == null) {
            return 0;
        }
        synchronized (names) {
            return names.size();
        }
    }
}
