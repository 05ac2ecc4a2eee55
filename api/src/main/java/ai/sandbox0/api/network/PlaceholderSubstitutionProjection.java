package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/** Replaces sandbox-visible placeholders with secrets at the egress boundary. */
public record PlaceholderSubstitutionProjection(
        List<PlaceholderReplacement> replacements) {

    public PlaceholderSubstitutionProjection {
        replacements = Copies.list(replacements);
    }
}
