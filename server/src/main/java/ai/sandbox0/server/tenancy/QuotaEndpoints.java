package ai.sandbox0.server.tenancy;

import ai.sandbox0.api.tenancy.PutTeamQuotaRequest;
import ai.sandbox0.api.tenancy.QuotaDimension;
import ai.sandbox0.api.tenancy.TeamQuota;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/** {@code /api/v1/quotas/{dimension}} for the caller's team (spec §8.4). */
public final class QuotaEndpoints {

    /** How much of an unknown dimension the 400 quotes back (a path segment can be kilobytes). */
    private static final int ECHO_MAX = 64;

    private final QuotaStore quotas;
    private final Clock clock;
    private final BiConsumer<String, QuotaDimension> changed;
    private final Usage usage;

    /** What a team uses of a dimension now; empty where it is not measured. */
    @FunctionalInterface
    public interface Usage {
        java.util.OptionalLong of(String teamId, QuotaDimension dimension);
    }

    public QuotaEndpoints(QuotaStore quotas, Clock clock) {
        this(quotas, clock, (team, dimension) -> {
        }, (team, dimension) -> java.util.OptionalLong.empty());
    }

    /**
     * {@code changed} hears of every limit set or removed (team, dimension), after it is stored; {@code usage}
     * measures what a GET shows as {@code usage_value}.
     */
    public QuotaEndpoints(QuotaStore quotas, Clock clock, BiConsumer<String, QuotaDimension> changed, Usage usage) {
        this.quotas = quotas;
        this.clock = clock;
        this.changed = changed;
        this.usage = usage;
    }

    public List<Route> routes() {
        String path = "/api/v1/quotas/{dimension}";
        return List.of(
                Route.requires(Permission.QUOTA_READ, "GET", path, call -> {
                    QuotaDimension d = dimension(call);
                    String team = call.principal().teamId();
                    java.util.OptionalLong used = usage.of(team, d);
                    return Reply.ok(new TeamQuota(team, d, quotas.limit(team, d).orElse(null),
                            used.isPresent() ? used.getAsLong() : null));
                }),
                Route.requires(Permission.QUOTA_WRITE, "PUT", path, this::put),
                Route.requires(Permission.QUOTA_WRITE, "DELETE", path, call -> {
                    QuotaDimension d = dimension(call);
                    quotas.delete(call.principal().teamId(), d);
                    changed.accept(call.principal().teamId(), d);
                    return Reply.ok(Map.of("deleted", true));
                }));
    }

    private Reply put(Call call) {
        QuotaDimension d = dimension(call);
        PutTeamQuotaRequest body = call.body(PutTeamQuotaRequest.class);
        if (body == null || body.limitValue() == null || body.limitValue() < 0) {
            throw ApiException.badRequest("limit_value is required and must be >= 0");
        }
        String team = call.principal().teamId();
        quotas.put(team, d, body.limitValue(), clock.instant());
        changed.accept(team, d);
        return Reply.ok(new TeamQuota(team, d, body.limitValue()));
    }

    private static QuotaDimension dimension(Call call) {
        String raw = call.pathParam("dimension");
        return QuotaDimension.fromWire(raw).orElseThrow(() -> ApiException.badRequest("unknown quota dimension '"
                + echo(raw) + "': one of " + Arrays.stream(QuotaDimension.values()).map(QuotaDimension::wire)
                        .collect(Collectors.joining(", "))));
    }

    private static String echo(String value) {
        if (value.length() <= ECHO_MAX) {
            return value;
        }
        int end = Character.isHighSurrogate(value.charAt(ECHO_MAX - 1)) ? ECHO_MAX - 1 : ECHO_MAX;
        return value.substring(0, end) + "…";
    }
}
