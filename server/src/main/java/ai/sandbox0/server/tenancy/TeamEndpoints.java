package ai.sandbox0.server.tenancy;

import ai.sandbox0.api.common.Message;
import ai.sandbox0.api.tenancy.AddTeamMemberRequest;
import ai.sandbox0.api.tenancy.CreateTeamRequest;
import ai.sandbox0.api.tenancy.TeamList;
import ai.sandbox0.api.tenancy.TeamMemberList;
import ai.sandbox0.api.tenancy.TransferTeamOwnerRequest;
import ai.sandbox0.api.tenancy.UpdateTeamMemberRequest;
import ai.sandbox0.api.tenancy.UpdateTeamRequest;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.Call;
import ai.sandbox0.server.http.Reply;
import ai.sandbox0.server.http.Route;
import ai.sandbox0.server.identity.Membership;
import ai.sandbox0.server.identity.TeamRecord;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code /teams/*}: teams and their members. Membership is read from the store on every call (not from
 * the caller's token), as upstream does: who may do what here is a rule of the team, kept in {@link Teams}.
 * Changes need a user session: an API key acts for its user, and a viewer key must not wield its user's
 * admin membership to add members or hand the team on.
 */
public final class TeamEndpoints {

    private static final Pattern UUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final Teams teams;

    public TeamEndpoints(Teams teams) {
        this.teams = teams;
    }

    public List<Route> routes() {
        return List.of(
                Route.user("GET", "/teams", call -> Reply.ok(new TeamList(
                        teams.ofUser(call.principal().userId()).stream().map(TeamRecord::view).toList()))),
                Route.userSession("POST", "/teams", this::create),
                Route.user("GET", "/teams/{id}", call -> Reply.ok(teams.get(user(call), team(call)).view())),
                Route.userSession("PUT", "/teams/{id}", this::update),
                Route.userSession("DELETE", "/teams/{id}", call -> {
                    teams.delete(user(call), team(call));
                    return Reply.ok(new Message("team deleted"));
                }),
                Route.userSession("PUT", "/teams/{id}/owner", this::transfer),
                Route.user("GET", "/teams/{id}/members", call -> Reply.ok(new TeamMemberList(
                        teams.members(user(call), team(call), call.query("query")).stream()
                                .map(Membership::view).toList()))),
                Route.userSession("POST", "/teams/{id}/members", this::addMember),
                Route.userSession("PUT", "/teams/{id}/members/{userId}", this::updateMember),
                Route.userSession("DELETE", "/teams/{id}/members/{userId}", call -> {
                    teams.removeMember(user(call), team(call), uuid(call.pathParam("userId"), "user id"));
                    return Reply.ok(new Message("member removed"));
                }));
    }

    private Reply create(Call call) {
        CreateTeamRequest request = call.body(CreateTeamRequest.class);
        return Reply.created(teams.create(user(call), request.name(), request.slug(), request.homeRegionId()).view());
    }

    private Reply update(Call call) {
        String caller = user(call);
        String team = team(call);
        teams.requireAdmin(team, caller, "only admins can update team");
        UpdateTeamRequest request = call.body(UpdateTeamRequest.class);
        // home_region_id is not in the update schema, but upstream answers an attempt to change it.
        var body = call.bodyTree();
        String region = body.hasNonNull("home_region_id") ? body.get("home_region_id").asText() : null;
        return Reply.ok(teams.update(caller, team, request.name(), request.slug(), region).view());
    }

    private Reply transfer(Call call) {
        TransferTeamOwnerRequest request = call.body(TransferTeamOwnerRequest.class);
        if (request.userId() == null || request.userId().isBlank()) {
            throw ApiException.badRequest("user_id is required");
        }
        return Reply.ok(teams.transferOwner(user(call), team(call), uuid(request.userId().strip(), "user_id")).view());
    }

    private Reply addMember(Call call) {
        teams.requireAdmin(team(call), user(call), "only admins can add members");
        AddTeamMemberRequest request = call.body(AddTeamMemberRequest.class);
        if (request.email() == null || request.email().isBlank()) {
            throw ApiException.badRequest("email is required");
        }
        Role role = role(request.role() == null ? null : request.role().wire());
        return Reply.created(teams.addMember(user(call), team(call), request.email(), role).view());
    }

    private Reply updateMember(Call call) {
        teams.requireAdmin(team(call), user(call), "only admins can update members");
        UpdateTeamMemberRequest request = call.body(UpdateTeamMemberRequest.class);
        Role role = role(request.role() == null ? null : request.role().wire());
        teams.updateRole(user(call), team(call), uuid(call.pathParam("userId"), "user id"), role);
        return Reply.ok(new Message("member updated"));
    }

    private static Role role(String wire) {
        if (wire == null) {
            throw ApiException.badRequest("role is required: one of admin, developer, builder, viewer");
        }
        return Role.fromWire(wire).orElseThrow(() ->
                ApiException.badRequest("role must be one of admin, developer, builder, viewer"));
    }

    private static String user(Call call) {
        return call.principal().userId();
    }

    private static String team(Call call) {
        return uuid(call.pathParam("id"), "team id");
    }

    private static String uuid(String value, String field) {
        if (!UUID.matcher(value).matches()) {
            throw ApiException.badRequest(field + " must be a valid UUID");
        }
        return value.toLowerCase(java.util.Locale.ROOT);
    }
}
