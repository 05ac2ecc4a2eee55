package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.template.PoolStrategy;
import ai.sandbox0.api.template.SandboxTemplateStatus;
import ai.sandbox0.server.template.StoredTemplate;
import ai.sandbox0.server.template.TemplatePools;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Templates' warm pools on this host's node. Configuring a pool may build or pull the template's image
 * first, so it happens in the background; claims fall back to cold starts meanwhile.
 */
public final class NodeWarmPools implements TemplatePools {

    private static final Logger LOG = LoggerFactory.getLogger(NodeWarmPools.class);

    private final SandboxHost host;
    private final SandboxStore store;
    private final Executor background;

    public NodeWarmPools(SandboxHost host, SandboxStore store, Executor background) {
        this.host = host;
        this.store = store;
        this.background = background;
    }

    /** The node's name for a template's pool: stable, short, and free of team ids. */
    public static String poolId(StoredTemplate template) {
        String key = template.scope().wire() + "/" + template.teamId() + "/" + template.templateId();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return "pool-" + HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public SandboxTemplateStatus status(StoredTemplate template) {
        return new SandboxTemplateStatus(host.idleCount(poolId(template)),
                store.countRunning(template.scope(), template.teamId(), template.templateId()), null, null);
    }

    @Override
    public void changed(StoredTemplate template) {
        PoolStrategy pool = template.spec().pool();
        int min = pool == null || pool.minIdle() == null ? 0 : pool.minIdle();
        int max = pool == null || pool.maxIdle() == null ? 0 : pool.maxIdle();
        String id = poolId(template);
        background.execute(() -> {
            try {
                if (max == 0) {
                    host.removePool(id);
                } else {
                    host.configurePool(id, template.spec(), min, max);
                }
            } catch (RuntimeException e) {
                LOG.warn("warm pool of template {} not configured: {}", template.templateId(), e.getMessage());
            }
        });
    }

    @Override
    public void removed(StoredTemplate template) {
        String id = poolId(template);
        background.execute(() -> host.removePool(id));
    }
}
