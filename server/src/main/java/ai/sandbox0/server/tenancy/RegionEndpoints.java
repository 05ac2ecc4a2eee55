package ai.sandbox0.server.tenancy;

import ai.sandbox0.api.tenancy.Region;
import ai.sandbox0.api.tenancy.RegionList;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import java.net.URI;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code /regions} of a single-region installation: this server is the regional gateway of its one region,
 * and the region directory is that region alone. Upstream keeps the directory in its global gateway; a
 * regional gateway does not register {@code /regions} at all, so writes get the 404 it answers, whoever asks.
 */
public final class RegionEndpoints {

    private final String region;
    private final Supplier<URI> publicUrl;

    /** @param publicUrl the URL clients reach this server at (known once it listens) */
    public RegionEndpoints(String region, Supplier<URI> publicUrl) {
        this.region = region;
        this.publicUrl = publicUrl;
    }

    public List<Route> routes() {
        return List.of(
                Route.authenticated("GET", "/regions", call -> Reply.ok(new RegionList(List.of(self())))),
                Route.authenticated("GET", "/regions/{id}", this::one),
                Route.open("POST", "/regions", this::notManagedHere),
                Route.open("PUT", "/regions/{id}", this::notManagedHere),
                Route.open("DELETE", "/regions/{id}", this::notManagedHere));
    }

    private Reply one(Call call) {
        if (!call.pathParam("id").equals(region)) {
            throw ApiException.notFound("region not found");
        }
        return Reply.ok(self());
    }

    private Reply notManagedHere(Call call) {
        throw ApiException.notFound("not found: regions are managed by a global gateway; this server is the"
                + " regional gateway of region '" + region + "' only");
    }

    private Region self() {
        return new Region(region, region, publicUrl.get().toString(), null, true);
    }
}
