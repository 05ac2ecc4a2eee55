package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;

/** The sandbox's main container. */
public record ContainerSpec(
        String image,
        String imagePullPolicy,
        List<EnvVar> env,
        ResourceQuota resources,
        SecurityContext securityContext) {

    public ContainerSpec {
        env = Copies.list(env);
    }
}
