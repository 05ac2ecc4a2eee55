package ai.sandbox0.procd.json;

/** {@code {"<name>":true}}: the answer of procd-internal relay calls ({@code accepted}, {@code closed}). */
public record Acknowledged(String name) {

    public static final Acknowledged ACCEPTED = new Acknowledged("accepted");
    public static final Acknowledged CLOSED = new Acknowledged("closed");
}
