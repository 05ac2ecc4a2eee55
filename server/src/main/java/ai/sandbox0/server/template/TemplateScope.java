package ai.sandbox0.server.template;

/** Builtin templates are public to every team; a team's own templates are visible to it alone. */
public enum TemplateScope {
    PUBLIC("public"),
    TEAM("team");

    private final String wire;

    TemplateScope(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static TemplateScope fromWire(String wire) {
        return switch (wire) {
            case "public" -> PUBLIC;
            case "team" -> TEAM;
            default -> throw new IllegalArgumentException("unknown template scope " + wire);
        };
    }
}
