package ai.sandbox0.api.credential;

/** A user name and password. */
public record StaticUsernamePasswordSourceSpec(
        String username,
        String password) {

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "StaticUsernamePasswordSourceSpec[username=" + username
                + ", password=" + (password == null ? null : "<redacted>") + "]";
    }
}
