package ai.sandbox0.api.template;

import static ai.sandbox0.api.WireAssertions.example;
import static ai.sandbox0.api.WireAssertions.roundTrip;
import static ai.sandbox0.api.WireAssertions.written;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.network.NetworkMode;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateContractTest {

    @Test
    void templateRoundTripsWithSnakeCaseOutsideAndCamelCaseInside() {
        Template template = roundTrip(example("template.json"), Template.class);

        SandboxTemplateSpec spec = template.spec();
        assertThat(template.templateId()).isEqualTo("my-env");
        assertThat(spec.mainContainer().resources()).isEqualTo(new ResourceQuota("1", "4Gi", "2Gi"));
        assertThat(spec.pool()).isEqualTo(new PoolStrategy(1, 5));
        assertThat(spec.mainContainer().securityContext().seccompProfile().type())
                .isEqualTo(SecurityProfileType.RUNTIME_DEFAULT);
        assertThat(spec.volumeMounts().get(1).readOnly()).isTrue();
        assertThat(spec.pod().affinity().nodeAffinity().requiredDuringSchedulingIgnoredDuringExecution()
                .nodeSelectorTerms().getFirst().matchExpressions().getFirst().values()).containsExactly("amd64");
        assertThat(spec.network().mode()).isEqualTo(NetworkMode.ALLOW_ALL);
        assertThat(template.status().idleCount()).isEqualTo(1);
        assertThat(template.status().conditions().getFirst().lastTransitionTime())
                .isEqualTo(Instant.parse("2026-06-20T10:00:00Z"));
    }

    @Test
    void eachLevelCarriesItsOwnCasing() {
        Template template = new Template("my-env", "team", "team-1", null,
                new SandboxTemplateSpec(null, "My Env", null,
                        new ContainerSpec("python:3.12-slim", "Always", null, new ResourceQuota("1", "4Gi", "1Gi"), null),
                        List.of(new VolumeMountSpec("data", "/data", false)), null, null, new PoolStrategy(0, 2),
                        Map.of("A", "1"), "c1"),
                new SandboxTemplateStatus(0, 1, null, null),
                Instant.parse("2026-06-01T08:00:00Z"), Instant.parse("2026-06-01T08:00:00Z"));

        JsonNode json = written(template);
        JsonNode spec = json.path("spec");

        assertThat(json.has("template_id")).isTrue();
        assertThat(json.has("team_id")).isTrue();
        assertThat(json.has("created_at")).isTrue();
        assertThat(spec.has("displayName")).isTrue();
        assertThat(spec.has("mainContainer")).isTrue();
        assertThat(spec.has("envVars")).isTrue();
        assertThat(spec.has("clusterId")).isTrue();
        assertThat(spec.path("mainContainer").has("imagePullPolicy")).isTrue();
        assertThat(spec.path("mainContainer").path("resources").has("ephemeralStorage")).isTrue();
        assertThat(spec.path("volumeMounts").get(0).has("mountPath")).isTrue();
        assertThat(spec.path("volumeMounts").get(0).has("readOnly")).isTrue();
        assertThat(spec.path("pool").path("minIdle").asInt()).isZero();
        assertThat(spec.path("pool").path("maxIdle").asInt()).isEqualTo(2);
        assertThat(json.path("status").has("idleCount")).isTrue();
        assertThat(json.path("status").has("activeCount")).isTrue();
    }

    @Test
    void createUpdateAndListRoundTrip() {
        TemplateCreateRequest create = roundTrip("""
                {"template_id":"My-Env","spec":{"mainContainer":{"image":"python:3.12-slim",
                 "resources":{"cpu":"1","memory":"4Gi"}},"pool":{"minIdle":0,"maxIdle":2}}}
                """, TemplateCreateRequest.class);
        TemplateUpdateRequest update = roundTrip("""
                {"spec":{"description":"changed","mainContainer":{"image":"python:3.12-slim",
                 "resources":{"memory":"2Gi"}},"pool":{"minIdle":0,"maxIdle":3}}}
                """, TemplateUpdateRequest.class);
        TemplateList list = roundTrip("{\"templates\":[" + example("template.json") + "],\"count\":1}",
                TemplateList.class);

        assertThat(create.templateId()).isEqualTo("My-Env");
        // The 0.9.5 SDK sends specs without cpu.
        assertThat(update.spec().mainContainer().resources().cpu()).isNull();
        assertThat(list.templates()).hasSize(1);
    }

    @Test
    void kubernetesStyleTemplateAndProbesRoundTrip() {
        SandboxTemplate template = roundTrip("""
                {"apiVersion":"sandbox0.ai/v1alpha1","kind":"SandboxTemplate",
                 "metadata":{"name":"default","namespace":"tpl-default","labels":{"app":"sandbox0"},"annotations":{"a":"b"}},
                 "spec":{"mainContainer":{"image":"sandbox0ai/otemplates:default-v0.2.0","resources":{"cpu":"500m","memory":"2Gi"}}},
                 "status":{"idleCount":1,"activeCount":0,"lastUpdateTime":"0001-01-01T00:00:00Z"}}
                """, SandboxTemplate.class);
        Probe probe = roundTrip("""
                {"exec":{"command":["cat","/tmp/ready"]},
                 "httpGet":{"path":"/healthz","port":8080,"host":"127.0.0.1","scheme":"HTTP","httpHeaders":[{"name":"X-Probe","value":"1"}]},
                 "tcpSocket":{"port":22},"grpc":{"port":9090,"service":"health"},
                 "initialDelaySeconds":1,"timeoutSeconds":2,"periodSeconds":3,"successThreshold":1,"failureThreshold":5,
                 "terminationGracePeriodSeconds":30}
                """, Probe.class);

        assertThat(template.metadata().namespace()).isEqualTo("tpl-default");
        assertThat(template.status().lastUpdateTime()).isEqualTo(Instant.parse("0001-01-01T00:00:00Z"));
        assertThat(probe.httpGet().port()).isEqualTo(8080);
        assertThat(probe.terminationGracePeriodSeconds()).isEqualTo(30L);
    }

    @Test
    void registryCredentialsAreCamelCase() {
        RegistryCredentials credentials = roundTrip("""
                {"provider":"builtin","pushRegistry":"registry.example.com","pullRegistry":"registry.internal:5000",
                 "username":"t-abc","password":"hunter2","expiresAt":"2026-06-20T22:00:00Z"}
                """, RegistryCredentials.class);
        RegistryCredentialsRequest request = roundTrip("{\"targetImage\":\"t-abc/app:1\"}", RegistryCredentialsRequest.class);

        assertThat(credentials.pushRegistry()).isEqualTo("registry.example.com");
        assertThat(credentials.toString()).doesNotContain("hunter2");
        assertThat(request.targetImage()).isEqualTo("t-abc/app:1");
    }
}
