package ai.sandbox0.node.image;

import java.io.IOException;
import java.nio.file.Path;

/** Builds a root filesystem from a recipe into an empty directory ({@link Debootstrap} on a real host). */
@FunctionalInterface
public interface RootfsBuilder {

    void build(RootfsRecipe recipe, Path target, ImageProgress progress) throws IOException;
}
