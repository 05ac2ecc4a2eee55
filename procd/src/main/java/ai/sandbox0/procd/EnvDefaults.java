package ai.sandbox0.procd;

import java.util.Map;

/**
 * The template and sandbox environment layers, as the node runtime hands them to procd (the env file
 * at start, {@code PUT /api/v1/env} on a sandbox update). Internal to procd's protocol.
 */
public record EnvDefaults(Map<String, String> template, Map<String, String> sandbox) {
}
