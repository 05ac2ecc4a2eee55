package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/** One placeholder and where it may be replaced. */
public record PlaceholderReplacement(
        String placeholder,
        String valueTemplate,
        List<PlaceholderSubstitutionLocation> locations) {

    public PlaceholderReplacement {
        locations = Copies.list(locations);
    }
}
