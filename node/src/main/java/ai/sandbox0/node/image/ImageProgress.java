package ai.sandbox0.node.image;

import org.slf4j.Logger;

/** Progress of a long image operation (a debootstrap build, a pull), one line per event. */
@FunctionalInterface
public interface ImageProgress {

    ImageProgress NONE = message -> { };

    void report(String message);

    static ImageProgress log(Logger log) {
        return message -> log.info("{}", message);
    }
}
