package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.EgressCredentialRule;
import io.netty.channel.EventLoop;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An inspected connection's credential material: asked of the server off the event loop (it may read a store),
 * kept by the connection until it expires. Used on the connection's event loop only.
 */
final class BindingMaterial {

    private static final Logger LOG = LoggerFactory.getLogger(BindingMaterial.class);

    static final String RESOLUTION_FAILED = "egress auth resolution failed";
    static final String MATERIAL_UNAVAILABLE = "material unavailable";

    interface Resolved {
        /** Exactly one of {@code material} and {@code failure} is set. */
        void accept(EgressMaterial material, String failure);
    }

    private final String sandboxId;
    private final EgressCredentials credentials;
    private final EventLoop loop;
    private final BooleanSupplier live;
    private final Map<String, EgressMaterial> cached = new HashMap<>();

    /** @param live whether the connection still wants answers (a closed one drops them) */
    BindingMaterial(String sandboxId, EgressCredentials credentials, EventLoop loop, BooleanSupplier live) {
        this.sandboxId = sandboxId;
        this.credentials = credentials;
        this.loop = loop;
        this.live = live;
    }

    /** A binding's material, or the failure a client is told (exactly one is set). */
    record Fetched(EgressMaterial material, String failure) {
    }

    /**
     * Asks the server for a binding's material (blocks: never on an event loop): the one place where what the
     * hook reports becomes {@link #MATERIAL_UNAVAILABLE} or {@link #RESOLUTION_FAILED}.
     */
    static Fetched fetch(EgressCredentials credentials, String sandboxId, String ref) {
        try {
            Optional<EgressMaterial> found = credentials.resolve(sandboxId, ref);
            return found.map(m -> new Fetched(m, null)).orElseGet(() -> new Fetched(null, MATERIAL_UNAVAILABLE));
        } catch (EgressCredentials.Failure e) {
            LOG.info("egress: {}: credential {}: {}", sandboxId, ref, e.getMessage());
            return new Fetched(null, RESOLUTION_FAILED);
        } catch (RuntimeException e) {
            LOG.warn("egress: {}: credential {} could not be resolved: {}", sandboxId, ref, e.getClass().getName());
            return new Fetched(null, RESOLUTION_FAILED);
        }
    }

    /** The rule's material; {@code then} runs on the event loop, at once when cached. */
    void resolve(EgressCredentialRule rule, Resolved then) {
        String ref = rule.credentialRef();
        EgressMaterial known = cached.get(ref);
        if (known != null && known.expiresAt().isAfter(Instant.now())) {
            then.accept(known, null);
            return;
        }
        Thread.startVirtualThread(() -> {
            Fetched fetched = fetch(credentials, sandboxId, ref);
            EgressMaterial m = fetched.material();
            String f = fetched.failure();
            loop.execute(() -> {
                if (m != null) {
                    cached.put(ref, m);
                }
                if (live.getAsBoolean()) {
                    then.accept(m, f);
                }
            });
        });
    }
}
