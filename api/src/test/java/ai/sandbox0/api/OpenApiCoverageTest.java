package ai.sandbox0.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import ai.sandbox0.api.auth.AuthProvider;
import ai.sandbox0.api.auth.AuthProviderList;
import ai.sandbox0.api.auth.ChangePasswordRequest;
import ai.sandbox0.api.auth.DeviceLoginPollRequest;
import ai.sandbox0.api.auth.DeviceLoginPollResponse;
import ai.sandbox0.api.auth.DeviceLoginStartResponse;
import ai.sandbox0.api.auth.LoginRequest;
import ai.sandbox0.api.auth.LoginResponse;
import ai.sandbox0.api.auth.RefreshRequest;
import ai.sandbox0.api.auth.RegisterRequest;
import ai.sandbox0.api.auth.WebLoginExchangeRequest;
import ai.sandbox0.api.common.Created;
import ai.sandbox0.api.common.Deleted;
import ai.sandbox0.api.common.Message;
import ai.sandbox0.api.common.Moved;
import ai.sandbox0.api.common.Resized;
import ai.sandbox0.api.common.Signaled;
import ai.sandbox0.api.common.Written;
import ai.sandbox0.api.credential.CredentialSourceMetadata;
import ai.sandbox0.api.credential.CredentialSourceResolverKind;
import ai.sandbox0.api.credential.CredentialSourceWriteRequest;
import ai.sandbox0.api.credential.CredentialSourceWriteSpec;
import ai.sandbox0.api.credential.StaticHeadersSourceSpec;
import ai.sandbox0.api.credential.StaticSshPrivateKeySourceSpec;
import ai.sandbox0.api.credential.StaticTlsClientCertificateSourceSpec;
import ai.sandbox0.api.credential.StaticUsernamePasswordSourceSpec;
import ai.sandbox0.api.health.GatewayMetadata;
import ai.sandbox0.api.health.HealthStatus;
import ai.sandbox0.api.network.CachePolicySpec;
import ai.sandbox0.api.network.CredentialBinding;
import ai.sandbox0.api.network.CredentialProjectionType;
import ai.sandbox0.api.network.EgressAuthFailurePolicy;
import ai.sandbox0.api.network.EgressAuthProtocol;
import ai.sandbox0.api.network.EgressAuthRolloutMode;
import ai.sandbox0.api.network.EgressCredentialRule;
import ai.sandbox0.api.network.EgressProxyPolicy;
import ai.sandbox0.api.network.EgressProxyType;
import ai.sandbox0.api.network.EgressTlsMode;
import ai.sandbox0.api.network.HttpHeadersProjection;
import ai.sandbox0.api.network.HttpMatch;
import ai.sandbox0.api.network.HttpMethodPolicy;
import ai.sandbox0.api.network.HttpPathPolicy;
import ai.sandbox0.api.network.HttpProtocolRule;
import ai.sandbox0.api.network.HttpValueMatch;
import ai.sandbox0.api.network.McpProtocolRule;
import ai.sandbox0.api.network.McpToolPolicy;
import ai.sandbox0.api.network.NetworkEgressPolicy;
import ai.sandbox0.api.network.PlaceholderReplacement;
import ai.sandbox0.api.network.PlaceholderSubstitutionLocation;
import ai.sandbox0.api.network.PlaceholderSubstitutionProjection;
import ai.sandbox0.api.network.PortSpec;
import ai.sandbox0.api.network.ProjectedHeader;
import ai.sandbox0.api.network.ProjectionSpec;
import ai.sandbox0.api.network.ProtocolRule;
import ai.sandbox0.api.network.ProtocolRuleProtocol;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.network.SshProxyProjection;
import ai.sandbox0.api.network.TlsClientCertificateProjection;
import ai.sandbox0.api.network.TrafficRule;
import ai.sandbox0.api.network.TrafficRuleAction;
import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import ai.sandbox0.api.network.UsernamePasswordProjection;
import ai.sandbox0.api.sandbox.ClaimMountRequest;
import ai.sandbox0.api.sandbox.ClaimRequest;
import ai.sandbox0.api.sandbox.ClaimResponse;
import ai.sandbox0.api.sandbox.ContextResourceUsage;
import ai.sandbox0.api.sandbox.MountStatus;
import ai.sandbox0.api.sandbox.PauseSandboxResponse;
import ai.sandbox0.api.sandbox.RefreshResponse;
import ai.sandbox0.api.sandbox.ResourceUsage;
import ai.sandbox0.api.sandbox.ResumeSandboxResponse;
import ai.sandbox0.api.sandbox.Sandbox;
import ai.sandbox0.api.sandbox.SandboxConfig;
import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.sandbox.SandboxList;
import ai.sandbox0.api.sandbox.SandboxRefreshRequest;
import ai.sandbox0.api.sandbox.SandboxResourceUsage;
import ai.sandbox0.api.sandbox.SandboxSshConnection;
import ai.sandbox0.api.sandbox.SandboxStatus;
import ai.sandbox0.api.sandbox.SandboxSummary;
import ai.sandbox0.api.sandbox.SandboxUpdateConfig;
import ai.sandbox0.api.sandbox.SandboxUpdateRequest;
import ai.sandbox0.api.sandbox.WebhookConfig;
import ai.sandbox0.api.service.SandboxAppService;
import ai.sandbox0.api.service.SandboxAppServiceHealth;
import ai.sandbox0.api.service.SandboxAppServiceIngress;
import ai.sandbox0.api.service.SandboxAppServiceRoute;
import ai.sandbox0.api.service.SandboxAppServiceRouteAuth;
import ai.sandbox0.api.service.SandboxAppServiceRouteCors;
import ai.sandbox0.api.service.SandboxAppServiceRouteRateLimit;
import ai.sandbox0.api.service.SandboxAppServiceRuntime;
import ai.sandbox0.api.service.SandboxAppServiceView;
import ai.sandbox0.api.service.SandboxFunction;
import ai.sandbox0.api.service.SandboxFunctionSource;
import ai.sandbox0.api.service.SandboxServicesResponse;
import ai.sandbox0.api.service.SandboxServicesUpdateRequest;
import ai.sandbox0.api.snapshot.CreateSandboxRootfsSnapshotRequest;
import ai.sandbox0.api.snapshot.ForkSandboxRequest;
import ai.sandbox0.api.snapshot.ForkSandboxResponse;
import ai.sandbox0.api.snapshot.RestoreSandboxRootfsRequest;
import ai.sandbox0.api.snapshot.RestoreSandboxRootfsResponse;
import ai.sandbox0.api.snapshot.SandboxRootfsSnapshot;
import ai.sandbox0.api.snapshot.SandboxRootfsSnapshotList;
import ai.sandbox0.api.template.Affinity;
import ai.sandbox0.api.template.AppArmorProfile;
import ai.sandbox0.api.template.Capabilities;
import ai.sandbox0.api.template.ContainerSpec;
import ai.sandbox0.api.template.EmptyDirMountSpec;
import ai.sandbox0.api.template.EnvVar;
import ai.sandbox0.api.template.ExecAction;
import ai.sandbox0.api.template.GrpcAction;
import ai.sandbox0.api.template.HttpGetAction;
import ai.sandbox0.api.template.HttpHeader;
import ai.sandbox0.api.template.LabelSelector;
import ai.sandbox0.api.template.LabelSelectorRequirement;
import ai.sandbox0.api.template.NodeAffinity;
import ai.sandbox0.api.template.NodeSelector;
import ai.sandbox0.api.template.NodeSelectorRequirement;
import ai.sandbox0.api.template.NodeSelectorTerm;
import ai.sandbox0.api.template.ObjectMeta;
import ai.sandbox0.api.template.PodAffinity;
import ai.sandbox0.api.template.PodAffinityTerm;
import ai.sandbox0.api.template.PodSpecOverride;
import ai.sandbox0.api.template.PoolStrategy;
import ai.sandbox0.api.template.PreferredSchedulingTerm;
import ai.sandbox0.api.template.Probe;
import ai.sandbox0.api.template.RegistryCredentials;
import ai.sandbox0.api.template.RegistryCredentialsRequest;
import ai.sandbox0.api.template.ResourceQuota;
import ai.sandbox0.api.template.SandboxTemplate;
import ai.sandbox0.api.template.SandboxTemplateCondition;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.api.template.SandboxTemplateStatus;
import ai.sandbox0.api.template.SeccompProfile;
import ai.sandbox0.api.template.SecurityContext;
import ai.sandbox0.api.template.TcpSocketAction;
import ai.sandbox0.api.template.Template;
import ai.sandbox0.api.template.TemplateCreateRequest;
import ai.sandbox0.api.template.TemplateList;
import ai.sandbox0.api.template.TemplateUpdateRequest;
import ai.sandbox0.api.template.Toleration;
import ai.sandbox0.api.template.VolumeMountSpec;
import ai.sandbox0.api.template.WeightedPodAffinityTerm;
import ai.sandbox0.api.tenancy.AddTeamMemberRequest;
import ai.sandbox0.api.tenancy.ApiKey;
import ai.sandbox0.api.tenancy.ApiKeyList;
import ai.sandbox0.api.tenancy.CreateApiKeyRequest;
import ai.sandbox0.api.tenancy.CreateApiKeyResponse;
import ai.sandbox0.api.tenancy.CreateRegionRequest;
import ai.sandbox0.api.tenancy.CreateSshPublicKeyRequest;
import ai.sandbox0.api.tenancy.CreateTeamRequest;
import ai.sandbox0.api.tenancy.CurrentApiKeyPayload;
import ai.sandbox0.api.tenancy.CurrentApiKeyResponse;
import ai.sandbox0.api.tenancy.Identity;
import ai.sandbox0.api.tenancy.IdentityList;
import ai.sandbox0.api.tenancy.PutTeamQuotaRequest;
import ai.sandbox0.api.tenancy.QuotaDimension;
import ai.sandbox0.api.tenancy.Region;
import ai.sandbox0.api.tenancy.RegionList;
import ai.sandbox0.api.tenancy.SshPublicKey;
import ai.sandbox0.api.tenancy.SshPublicKeyList;
import ai.sandbox0.api.tenancy.Team;
import ai.sandbox0.api.tenancy.TeamList;
import ai.sandbox0.api.tenancy.TeamMember;
import ai.sandbox0.api.tenancy.TeamMemberList;
import ai.sandbox0.api.tenancy.TeamQuota;
import ai.sandbox0.api.tenancy.TransferTeamOwnerRequest;
import ai.sandbox0.api.tenancy.UpdateRegionRequest;
import ai.sandbox0.api.tenancy.UpdateTeamMemberRequest;
import ai.sandbox0.api.tenancy.UpdateTeamRequest;
import ai.sandbox0.api.tenancy.UpdateUserRequest;
import ai.sandbox0.api.tenancy.User;
import ai.sandbox0.api.volume.CreateSandboxVolumeRequest;
import ai.sandbox0.api.volume.CreateSnapshotRequest;
import ai.sandbox0.api.volume.ForkVolumeRequest;
import ai.sandbox0.api.volume.SandboxVolume;
import ai.sandbox0.api.volume.Snapshot;
import ai.sandbox0.api.volume.SnapshotRestoreResult;
import ai.sandbox0.api.volume.VolumeAccessMode;
import ai.sandbox0.api.volume.VolumeFileArchiveImportResponse;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Proves the records against the public contract: every schema of {@code openapi.yaml} (a copy of the
 * upstream file, in test resources) maps to a record or enum whose JSON names, types and enum values are
 * exactly the schema's. This is what keeps per-type casing right everywhere.
 */
class OpenApiCoverageTest {

    private static final ObjectMapper MAPPER = Json.mapper();
    private static final JsonNode SCHEMAS = loadSchemas();

    /** Schema name → the record or enum that is its wire form. */
    private static final Map<String, Class<?>> MAPPED = Map.ofEntries(
            Map.entry("Error", Envelope.ErrorBody.class),
            // health
            Map.entry("GatewayMetadata", GatewayMetadata.class),
            // tenancy
            Map.entry("QuotaDimension", QuotaDimension.class),
            Map.entry("TeamQuota", TeamQuota.class),
            Map.entry("PutTeamQuotaRequest", PutTeamQuotaRequest.class),
            Map.entry("User", User.class),
            Map.entry("UpdateUserRequest", UpdateUserRequest.class),
            Map.entry("CreateSSHPublicKeyRequest", CreateSshPublicKeyRequest.class),
            Map.entry("SSHPublicKey", SshPublicKey.class),
            Map.entry("Identity", Identity.class),
            Map.entry("Team", Team.class),
            Map.entry("Region", Region.class),
            Map.entry("CreateRegionRequest", CreateRegionRequest.class),
            Map.entry("UpdateRegionRequest", UpdateRegionRequest.class),
            Map.entry("TeamMember", TeamMember.class),
            Map.entry("CreateTeamRequest", CreateTeamRequest.class),
            Map.entry("UpdateTeamRequest", UpdateTeamRequest.class),
            Map.entry("TransferTeamOwnerRequest", TransferTeamOwnerRequest.class),
            Map.entry("AddTeamMemberRequest", AddTeamMemberRequest.class),
            Map.entry("UpdateTeamMemberRequest", UpdateTeamMemberRequest.class),
            Map.entry("APIKey", ApiKey.class),
            Map.entry("CreateAPIKeyRequest", CreateApiKeyRequest.class),
            Map.entry("CreateAPIKeyResponse", CreateApiKeyResponse.class),
            Map.entry("CurrentAPIKeyResponse", CurrentApiKeyResponse.class),
            // auth
            Map.entry("AuthProvider", AuthProvider.class),
            Map.entry("LoginRequest", LoginRequest.class),
            Map.entry("RegisterRequest", RegisterRequest.class),
            Map.entry("RefreshRequest", RefreshRequest.class),
            Map.entry("WebLoginExchangeRequest", WebLoginExchangeRequest.class),
            Map.entry("ChangePasswordRequest", ChangePasswordRequest.class),
            Map.entry("LoginResponse", LoginResponse.class),
            Map.entry("DeviceLoginStartResponse", DeviceLoginStartResponse.class),
            Map.entry("DeviceLoginPollRequest", DeviceLoginPollRequest.class),
            Map.entry("DeviceLoginPollResponse", DeviceLoginPollResponse.class),
            // template (registry credentials serve custom template images)
            Map.entry("RegistryCredentials", RegistryCredentials.class),
            Map.entry("RegistryCredentialsRequest", RegistryCredentialsRequest.class),
            Map.entry("TemplateCreateRequest", TemplateCreateRequest.class),
            Map.entry("TemplateUpdateRequest", TemplateUpdateRequest.class),
            Map.entry("Template", Template.class),
            Map.entry("SandboxTemplate", SandboxTemplate.class),
            Map.entry("ObjectMeta", ObjectMeta.class),
            Map.entry("SandboxTemplateSpec", SandboxTemplateSpec.class),
            Map.entry("ContainerSpec", ContainerSpec.class),
            Map.entry("VolumeMountSpec", VolumeMountSpec.class),
            Map.entry("EnvVar", EnvVar.class),
            Map.entry("ResourceQuota", ResourceQuota.class),
            Map.entry("SecurityContext", SecurityContext.class),
            Map.entry("Capabilities", Capabilities.class),
            Map.entry("SeccompProfile", SeccompProfile.class),
            Map.entry("AppArmorProfile", AppArmorProfile.class),
            Map.entry("Probe", Probe.class),
            Map.entry("ExecAction", ExecAction.class),
            Map.entry("HTTPGetAction", HttpGetAction.class),
            Map.entry("TCPSocketAction", TcpSocketAction.class),
            Map.entry("GRPCAction", GrpcAction.class),
            Map.entry("HTTPHeader", HttpHeader.class),
            Map.entry("PodSpecOverride", PodSpecOverride.class),
            Map.entry("EmptyDirMountSpec", EmptyDirMountSpec.class),
            Map.entry("Affinity", Affinity.class),
            Map.entry("NodeAffinity", NodeAffinity.class),
            Map.entry("NodeSelector", NodeSelector.class),
            Map.entry("NodeSelectorTerm", NodeSelectorTerm.class),
            Map.entry("NodeSelectorRequirement", NodeSelectorRequirement.class),
            Map.entry("PreferredSchedulingTerm", PreferredSchedulingTerm.class),
            Map.entry("PodAffinity", PodAffinity.class),
            Map.entry("PodAffinityTerm", PodAffinityTerm.class),
            Map.entry("LabelSelector", LabelSelector.class),
            Map.entry("LabelSelectorRequirement", LabelSelectorRequirement.class),
            Map.entry("WeightedPodAffinityTerm", WeightedPodAffinityTerm.class),
            Map.entry("Toleration", Toleration.class),
            Map.entry("PoolStrategy", PoolStrategy.class),
            Map.entry("SandboxTemplateStatus", SandboxTemplateStatus.class),
            Map.entry("SandboxTemplateCondition", SandboxTemplateCondition.class),
            // sandbox
            Map.entry("ClaimRequest", ClaimRequest.class),
            Map.entry("ClaimMountRequest", ClaimMountRequest.class),
            Map.entry("SandboxConfig", SandboxConfig.class),
            Map.entry("WebhookConfig", WebhookConfig.class),
            Map.entry("ClaimResponse", ClaimResponse.class),
            Map.entry("SandboxLifecycleStatus", SandboxLifecycleStatus.class),
            Map.entry("Sandbox", Sandbox.class),
            Map.entry("SandboxSSHConnection", SandboxSshConnection.class),
            Map.entry("SandboxUpdateConfig", SandboxUpdateConfig.class),
            Map.entry("SandboxUpdateRequest", SandboxUpdateRequest.class),
            Map.entry("SandboxStatus", SandboxStatus.class),
            Map.entry("SandboxSummary", SandboxSummary.class),
            Map.entry("ResourceUsage", ResourceUsage.class),
            Map.entry("ContextResourceUsage", ContextResourceUsage.class),
            Map.entry("SandboxResourceUsage", SandboxResourceUsage.class),
            Map.entry("PauseSandboxResponse", PauseSandboxResponse.class),
            Map.entry("ResumeSandboxResponse", ResumeSandboxResponse.class),
            Map.entry("SandboxRefreshRequest", SandboxRefreshRequest.class),
            Map.entry("RefreshResponse", RefreshResponse.class),
            Map.entry("MountStatus", MountStatus.class),
            // snapshot (rootfs)
            Map.entry("CreateSandboxRootFSSnapshotRequest", CreateSandboxRootfsSnapshotRequest.class),
            Map.entry("SandboxRootFSSnapshot", SandboxRootfsSnapshot.class),
            Map.entry("SandboxRootFSSnapshotList", SandboxRootfsSnapshotList.class),
            Map.entry("RestoreSandboxRootFSRequest", RestoreSandboxRootfsRequest.class),
            Map.entry("RestoreSandboxRootFSResponse", RestoreSandboxRootfsResponse.class),
            Map.entry("ForkSandboxRequest", ForkSandboxRequest.class),
            Map.entry("ForkSandboxResponse", ForkSandboxResponse.class),
            // service
            Map.entry("SandboxAppServiceRouteAuth", SandboxAppServiceRouteAuth.class),
            Map.entry("SandboxAppServiceRouteCORS", SandboxAppServiceRouteCors.class),
            Map.entry("SandboxAppServiceRouteRateLimit", SandboxAppServiceRouteRateLimit.class),
            Map.entry("SandboxAppService", SandboxAppService.class),
            Map.entry("SandboxAppServiceRuntime", SandboxAppServiceRuntime.class),
            Map.entry("SandboxFunction", SandboxFunction.class),
            Map.entry("SandboxFunctionSource", SandboxFunctionSource.class),
            Map.entry("SandboxAppServiceIngress", SandboxAppServiceIngress.class),
            Map.entry("SandboxAppServiceRoute", SandboxAppServiceRoute.class),
            Map.entry("SandboxAppServiceHealth", SandboxAppServiceHealth.class),
            Map.entry("SandboxAppServiceView", SandboxAppServiceView.class),
            Map.entry("SandboxServicesUpdateRequest", SandboxServicesUpdateRequest.class),
            // network
            Map.entry("SandboxNetworkPolicy", SandboxNetworkPolicy.class),
            Map.entry("NetworkEgressPolicy", NetworkEgressPolicy.class),
            Map.entry("EgressProxyPolicy", EgressProxyPolicy.class),
            Map.entry("EgressProxyType", EgressProxyType.class),
            Map.entry("TrafficRule", TrafficRule.class),
            Map.entry("TrafficRuleAction", TrafficRuleAction.class),
            Map.entry("TrafficRuleAppProtocol", TrafficRuleAppProtocol.class),
            Map.entry("ProtocolRule", ProtocolRule.class),
            Map.entry("ProtocolRuleProtocol", ProtocolRuleProtocol.class),
            Map.entry("HTTPProtocolRule", HttpProtocolRule.class),
            Map.entry("HTTPMethodPolicy", HttpMethodPolicy.class),
            Map.entry("HTTPPathPolicy", HttpPathPolicy.class),
            Map.entry("MCPProtocolRule", McpProtocolRule.class),
            Map.entry("MCPToolPolicy", McpToolPolicy.class),
            Map.entry("EgressCredentialRule", EgressCredentialRule.class),
            Map.entry("HTTPMatch", HttpMatch.class),
            Map.entry("HTTPValueMatch", HttpValueMatch.class),
            Map.entry("CredentialBinding", CredentialBinding.class),
            Map.entry("ProjectionSpec", ProjectionSpec.class),
            Map.entry("CredentialProjectionType", CredentialProjectionType.class),
            Map.entry("HTTPHeadersProjection", HttpHeadersProjection.class),
            Map.entry("PlaceholderSubstitutionProjection", PlaceholderSubstitutionProjection.class),
            Map.entry("PlaceholderReplacement", PlaceholderReplacement.class),
            Map.entry("PlaceholderSubstitutionLocation", PlaceholderSubstitutionLocation.class),
            Map.entry("TLSClientCertificateProjection", TlsClientCertificateProjection.class),
            Map.entry("UsernamePasswordProjection", UsernamePasswordProjection.class),
            Map.entry("SSHProxyProjection", SshProxyProjection.class),
            Map.entry("ProjectedHeader", ProjectedHeader.class),
            Map.entry("CachePolicySpec", CachePolicySpec.class),
            Map.entry("EgressAuthProtocol", EgressAuthProtocol.class),
            Map.entry("EgressAuthRolloutMode", EgressAuthRolloutMode.class),
            Map.entry("EgressTLSMode", EgressTlsMode.class),
            Map.entry("EgressAuthFailurePolicy", EgressAuthFailurePolicy.class),
            Map.entry("PortSpec", PortSpec.class),
            // credential
            Map.entry("CredentialSourceMetadata", CredentialSourceMetadata.class),
            Map.entry("CredentialSourceWriteRequest", CredentialSourceWriteRequest.class),
            Map.entry("CredentialSourceResolverKind", CredentialSourceResolverKind.class),
            Map.entry("CredentialSourceWriteSpec", CredentialSourceWriteSpec.class),
            Map.entry("StaticHeadersSourceSpec", StaticHeadersSourceSpec.class),
            Map.entry("StaticTLSClientCertificateSourceSpec", StaticTlsClientCertificateSourceSpec.class),
            Map.entry("StaticUsernamePasswordSourceSpec", StaticUsernamePasswordSourceSpec.class),
            Map.entry("StaticSSHPrivateKeySourceSpec", StaticSshPrivateKeySourceSpec.class),
            // volume
            Map.entry("VolumeAccessMode", VolumeAccessMode.class),
            Map.entry("CreateSandboxVolumeRequest", CreateSandboxVolumeRequest.class),
            Map.entry("ForkVolumeRequest", ForkVolumeRequest.class),
            Map.entry("SandboxVolume", SandboxVolume.class),
            Map.entry("CreateSnapshotRequest", CreateSnapshotRequest.class),
            Map.entry("Snapshot", Snapshot.class),
            Map.entry("VolumeFileArchiveImportResponse", VolumeFileArchiveImportResponse.class));

    /** Success wrappers whose {@code data} is an inline object → the payload record for it. */
    private static final Map<String, Class<?>> PAYLOADS = Map.ofEntries(
            Map.entry("SuccessHealthResponse", HealthStatus.class),
            Map.entry("SuccessMessageResponse", Message.class),
            Map.entry("SuccessDeletedResponse", Deleted.class),
            Map.entry("SuccessCreatedResponse", Created.class),
            Map.entry("SuccessWrittenResponse", Written.class),
            Map.entry("SuccessMovedResponse", Moved.class),
            Map.entry("SuccessResizedResponse", Resized.class),
            Map.entry("SuccessSignaledResponse", Signaled.class),
            Map.entry("SuccessAuthProvidersResponse", AuthProviderList.class),
            Map.entry("SuccessSSHPublicKeyListResponse", SshPublicKeyList.class),
            Map.entry("SuccessIdentityListResponse", IdentityList.class),
            Map.entry("SuccessRegionListResponse", RegionList.class),
            Map.entry("SuccessTeamListResponse", TeamList.class),
            Map.entry("SuccessTeamMemberListResponse", TeamMemberList.class),
            Map.entry("SuccessCurrentAPIKeyResponse", CurrentApiKeyPayload.class),
            Map.entry("SuccessAPIKeyListResponse", ApiKeyList.class),
            Map.entry("SuccessSandboxServicesResponse", SandboxServicesResponse.class),
            Map.entry("SuccessSandboxListResponse", SandboxList.class),
            Map.entry("SuccessTemplateListResponse", TemplateList.class),
            Map.entry("SuccessRestoreResponse", SnapshotRestoreResult.class));

    /** Contexts, files, file watch and context WebSocket frames: packages context and file, checked there. */
    private static final Set<String> OWNED_ELSEWHERE = Set.of(
            "ProcessType", "PTYSize", "ExecCandidate", "REPLEnvVar", "REPLPromptConfig", "REPLReadyMode",
            "REPLReadyConfig", "REPLConfig", "CreateREPLContextRequest", "CreateCMDContextRequest",
            "CreateContextRequest", "ContextResponse", "ContextStatsResponse", "ContextInputRequest",
            "ContextExecResponse", "ResizeContextRequest", "SignalContextRequest",
            "SuccessContextResponse", "SuccessContextListResponse", "SuccessContextStatsResponse",
            "SuccessContextExecResponse",
            "FileInfo", "FileContentResponse", "MoveFileRequest", "SuccessFileReadResponse",
            "SuccessFileStatResponse", "SuccessFileListResponse",
            "FileWatchRequest", "FileWatchSubscribeRequest", "FileWatchUnsubscribeRequest", "FileWatchResponse",
            "FileWatchSubscribed", "FileWatchEvent", "FileWatchUnsubscribed", "FileWatchError",
            "ContextWebSocketRequest", "ContextWebSocketInput", "ContextWebSocketResize", "ContextWebSocketSignal",
            "ContextWebSocketResponse", "ContextWebSocketOutput", "ContextWebSocketDone");

    /** The generic {@link Envelope} stands for these two. */
    private static final Set<String> ENVELOPES = Set.of("SuccessEnvelope", "ErrorEnvelope");

    /** A pure alias of a primitive, inlined wherever it is used. */
    private static final Set<String> ALIASES = Set.of("ProbePort");

    private static final List<String> CONTRACT_PACKAGES = List.of(
            "common", "health", "auth", "tenancy", "sandbox", "snapshot", "service", "network", "credential",
            "template", "volume");

    @Test
    void everySchemaIsAccountedFor() {
        Set<String> unaccounted = new TreeSet<>();
        SCHEMAS.fieldNames().forEachRemaining(name -> {
            boolean accounted = MAPPED.containsKey(name) || PAYLOADS.containsKey(name) || OWNED_ELSEWHERE.contains(name)
                    || ENVELOPES.contains(name) || ALIASES.contains(name) || isWrapperOfNamedData(name);
            if (!accounted) {
                unaccounted.add(name);
            }
        });
        Set<String> stale = new TreeSet<>();
        Stream.of(MAPPED.keySet(), PAYLOADS.keySet(), OWNED_ELSEWHERE, ENVELOPES, ALIASES)
                .flatMap(Set::stream)
                .filter(name -> !SCHEMAS.has(name))
                .forEach(stale::add);

        assertThat(unaccounted).as("schemas without a record").isEmpty();
        assertThat(stale).as("table entries naming no schema").isEmpty();
    }

    @TestFactory
    Stream<DynamicTest> everyMappedSchemaMatchesItsJavaType() {
        return MAPPED.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(entry -> DynamicTest.dynamicTest(entry.getKey() + " ↔ " + entry.getValue().getSimpleName(),
                        () -> checkSchema(entry.getKey(), SCHEMAS.get(entry.getKey()), entry.getValue(), true)));
    }

    @TestFactory
    Stream<DynamicTest> everySuccessWrapperCarriesAMappedPayload() {
        List<String> wrappers = new ArrayList<>();
        SCHEMAS.fieldNames().forEachRemaining(name -> {
            if (name.startsWith("Success") && !ENVELOPES.contains(name) && !OWNED_ELSEWHERE.contains(name)) {
                wrappers.add(name);
            }
        });
        return wrappers.stream().sorted().map(name -> DynamicTest.dynamicTest(name, () -> {
            JsonNode data = dataSchema(name);
            if (data.has("$ref")) {
                assertThat(MAPPED).as(name + " data").containsKey(refName(data));
            } else if ("array".equals(data.path("type").asText())) {
                // Bare lists: volumes, volume snapshots, credential sources.
                assertThat(MAPPED).as(name + " data items").containsKey(refName(data.path("items")));
            } else {
                assertThat(PAYLOADS).as(name + " has an inline payload and needs a record").containsKey(name);
                checkSchema(name + ".data", data, PAYLOADS.get(name), !data.has("required"));
            }
        }));
    }

    @Test
    void everyRecordAndEnumOfTheContractPackagesIsChecked() {
        Set<Class<?>> checked = new HashSet<>(MAPPED.values());
        checked.addAll(PAYLOADS.values());
        // Inline enums (such as NetworkMode) are checked as property types of the records above.
        for (Class<?> type : List.copyOf(checked)) {
            if (type.isRecord()) {
                javaProperties(type).values().forEach(t -> checked.add(leaf(t).getRawClass()));
            }
        }

        Set<String> unchecked = contractClasses().stream()
                .filter(type -> !checked.contains(type))
                .map(Class::getName)
                .collect(Collectors.toCollection(TreeSet::new));

        assertThat(unchecked).as("records and enums no schema check reaches").isEmpty();
    }

    /**
     * Documented additions of ours beyond the upstream schema (optional, ignored by the SDKs): schema
     * name → extra JSON names. Anything not listed here must match the schema exactly.
     */
    private static final Map<String, Set<String>> EXTENSIONS = Map.of(
            "GatewayMetadata", Set.of("region", "version", "features"),
            "Sandbox", Set.of("status_reason"),
            "TeamQuota", Set.of("usage_value"));

    private static void checkSchema(String name, JsonNode schema, Class<?> type, boolean primitivesAllowedAnywhere) {
        if (type.isEnum()) {
            assertThat(schema.has("enum")).as(name + " is an enum schema").isTrue();
            checkEnum(name, schema, type);
            return;
        }
        assertThat(type.isRecord()).as(type + " is a record").isTrue();
        Map<String, JsonNode> properties = properties(schema);
        Set<String> required = required(schema);
        Map<String, JavaType> java = javaProperties(type);

        Set<String> expected = new LinkedHashSet<>(properties.keySet());
        expected.addAll(EXTENSIONS.getOrDefault(name, Set.of()));
        assertThat(java.keySet()).as(name + ": JSON names of " + type.getSimpleName())
                .containsExactlyInAnyOrderElementsOf(expected);
        properties.forEach((property, propertySchema) -> {
            JavaType javaType = java.get(property);
            checkType(name + "." + property, property, propertySchema, javaType);
            if (javaType.isPrimitive() && !(primitivesAllowedAnywhere && !schema.has("required"))) {
                assertThat(required).as(name + "." + property + " is primitive, so it must be required").contains(property);
            }
        });
        checkSampleRoundTrip(name, type, expected);
    }

    /** A fully populated instance writes exactly the schema's names and reads back equal. */
    private static void checkSampleRoundTrip(String name, Class<?> type, Set<String> names) {
        Object sample = sample(MAPPER.constructType(type));
        try {
            String json = Json.writeString(sample);
            Set<String> written = new LinkedHashSet<>();
            MAPPER.readTree(json).fieldNames().forEachRemaining(written::add);
            assertThat(written).as(name + ": names written by a populated " + type.getSimpleName())
                    .containsExactlyInAnyOrderElementsOf(names);
            assertThat(MAPPER.readValue(json, type)).as(name + ": read back").isEqualTo(sample);
        } catch (IOException e) {
            throw new AssertionError(name + ": " + e.getMessage(), e);
        }
    }

    private static void checkType(String where, String property, JsonNode schema, JavaType type) {
        Class<?> raw = type.getRawClass();
        if (schema.has("$ref")) {
            String target = refName(schema);
            if (ALIASES.contains(target)) {
                checkType(where, property, SCHEMAS.get(target), type);
            } else {
                assertThat(raw).as(where + " → " + target).isEqualTo(MAPPED.get(target));
            }
            return;
        }
        if (schema.has("enum")) {
            assertThat(raw.isEnum()).as(where + " has an inline enum, so its Java type must be an enum").isTrue();
            checkEnum(where, schema, raw);
            return;
        }
        switch (schema.path("type").asText("")) {
            case "string" -> {
                if ("date-time".equals(schema.path("format").asText())) {
                    assertThat(raw).as(where + " (date-time)").isEqualTo(Instant.class);
                } else if (property.endsWith("_at") || property.endsWith("At") || property.endsWith("Time")) {
                    // A few timestamps are typed as plain strings upstream; they still carry RFC 3339.
                    assertThat(raw).as(where + " (timestamp string)").isIn(String.class, Instant.class);
                } else {
                    assertThat(raw).as(where + " (string)").isEqualTo(String.class);
                }
            }
            case "integer" -> {
                if ("int64".equals(schema.path("format").asText())) {
                    assertThat(raw).as(where + " (int64)").isIn(long.class, Long.class);
                } else {
                    assertThat(raw).as(where + " (int32)").isIn(int.class, Integer.class);
                }
            }
            case "number" -> assertThat(raw).as(where + " (number)").isIn(double.class, Double.class);
            case "boolean" -> assertThat(raw).as(where + " (boolean)").isIn(boolean.class, Boolean.class);
            case "array" -> {
                assertThat(raw).as(where + " (array)").isEqualTo(List.class);
                checkType(where + "[]", property, schema.path("items"), type.getContentType());
            }
            case "object" -> {
                assertThat(schema.has("properties")).as(where + " is an inline object; give it a record").isFalse();
                assertThat(raw).as(where + " (map)").isEqualTo(Map.class);
                assertThat(type.getKeyType().getRawClass()).isEqualTo(String.class);
                checkType(where + "{}", property, schema.path("additionalProperties"), type.getContentType());
            }
            case "" -> assertThat(raw).as(where + " (free-form)").isIn(Object.class, JsonNode.class);
            default -> fail(where + ": unexpected schema type " + schema.path("type"));
        }
    }

    private static void checkEnum(String where, JsonNode schema, Class<?> type) {
        List<String> expected = new ArrayList<>();
        schema.path("enum").forEach(value -> expected.add(value.asText()));
        List<String> actual = new ArrayList<>();
        for (Object constant : type.getEnumConstants()) {
            String wire = WireEnums.wire((Enum<?>) constant);
            actual.add(wire);
            assertThat(Json.writeString(constant)).as(where + ": " + constant + " written").isEqualTo("\"" + wire + "\"");
            try {
                assertThat(MAPPER.readValue("\"" + wire + "\"", type)).as(where + ": " + wire + " read").isSameAs(constant);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        assertThat(actual).as(where + ": wire values of " + type.getSimpleName()).containsExactlyElementsOf(expected);
    }

    // ---- schema access ----

    private static JsonNode loadSchemas() {
        try (InputStream in = OpenApiCoverageTest.class.getResourceAsStream("/openapi.yaml")) {
            return new YAMLMapper().readTree(in).path("components").path("schemas");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String refName(JsonNode schema) {
        String ref = schema.path("$ref").asText();
        assertThat(ref).startsWith("#/components/schemas/");
        return ref.substring("#/components/schemas/".length());
    }

    private static JsonNode resolve(JsonNode schema) {
        return schema.has("$ref") ? SCHEMAS.get(refName(schema)) : schema;
    }

    /** Properties of an object schema, merging allOf parts. */
    private static Map<String, JsonNode> properties(JsonNode schema) {
        Map<String, JsonNode> properties = new LinkedHashMap<>();
        schema.path("allOf").forEach(part -> properties.putAll(properties(resolve(part))));
        schema.path("properties").properties().forEach(e -> properties.put(e.getKey(), e.getValue()));
        return properties;
    }

    private static Set<String> required(JsonNode schema) {
        Set<String> required = new HashSet<>();
        schema.path("allOf").forEach(part -> required.addAll(required(resolve(part))));
        schema.path("required").forEach(name -> required.add(name.asText()));
        return required;
    }

    /** The {@code data} member of a {@code Success*} wrapper: {@code allOf: [SuccessEnvelope, {properties: {data}}]}. */
    private static JsonNode dataSchema(String wrapper) {
        for (JsonNode part : SCHEMAS.get(wrapper).path("allOf")) {
            if (part.path("properties").has("data")) {
                return part.path("properties").path("data");
            }
        }
        throw new AssertionError(wrapper + " has no data member");
    }

    private static boolean isWrapperOfNamedData(String name) {
        if (!name.startsWith("Success") || ENVELOPES.contains(name)) {
            return false;
        }
        JsonNode data = dataSchema(name);
        return data.has("$ref") || data.path("items").has("$ref");
    }

    // ---- Java side ----

    /** JSON name → declared type, as the shared mapper sees the record when writing it. */
    private static Map<String, JavaType> javaProperties(Class<?> type) {
        BeanDescription description = MAPPER.getSerializationConfig().introspect(MAPPER.constructType(type));
        Map<String, JavaType> properties = new LinkedHashMap<>();
        for (BeanPropertyDefinition property : description.findProperties()) {
            if (property.couldSerialize()) {
                properties.put(property.getName(), property.getPrimaryType());
            }
        }
        return properties;
    }

    private static JavaType leaf(JavaType type) {
        return type.isContainerType() ? leaf(type.getContentType()) : type;
    }

    private static Object sample(JavaType type) {
        Class<?> raw = type.getRawClass();
        if (raw == String.class || raw == Object.class) {
            return "x";
        } else if (raw == int.class || raw == Integer.class) {
            return 7;
        } else if (raw == long.class || raw == Long.class) {
            return 7_000_000_000L; // beyond int32: int64 survives end to end
        } else if (raw == double.class || raw == Double.class) {
            return 1.5;
        } else if (raw == boolean.class || raw == Boolean.class) {
            return true;
        } else if (raw == Instant.class) {
            return Instant.parse("2026-06-20T10:15:30Z");
        } else if (raw.isEnum()) {
            Object[] constants = raw.getEnumConstants();
            return constants[constants.length - 1]; // not ordinal 0, which a lax reader might produce from nothing
        } else if (raw == List.class) {
            return List.of(sample(type.getContentType()));
        } else if (raw == Map.class) {
            return Map.of("k", sample(type.getContentType()));
        } else if (raw.isRecord()) {
            RecordComponent[] components = raw.getRecordComponents();
            Class<?>[] types = Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new);
            Object[] values = Arrays.stream(components)
                    .map(c -> sample(MAPPER.getTypeFactory().constructType(c.getGenericType())))
                    .toArray();
            try {
                return raw.getDeclaredConstructor(types).newInstance(values);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError("cannot build a sample " + raw.getSimpleName(), e);
            }
        }
        throw new AssertionError("no sample for " + type);
    }

    /** The top-level classes compiled into the contract packages (main output only, not the tests). */
    private static Set<Class<?>> contractClasses() {
        Set<Class<?>> classes = new HashSet<>();
        try {
            Path root = Path.of(Json.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (String name : CONTRACT_PACKAGES) {
                try (Stream<Path> files = Files.list(root.resolve("ai/sandbox0/api/" + name))) {
                    for (Path file : files.toList()) {
                        String fileName = file.getFileName().toString();
                        if (fileName.endsWith(".class") && !fileName.contains("$")) {
                            classes.add(Class.forName("ai.sandbox0.api." + name + "."
                                    + fileName.substring(0, fileName.length() - ".class".length())));
                        }
                    }
                }
            }
        } catch (IOException | URISyntaxException | ClassNotFoundException e) {
            throw new AssertionError(e);
        }
        assertThat(classes).as("contract classes found").hasSizeGreaterThan(100);
        return classes;
    }
}
