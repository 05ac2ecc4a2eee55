package ai.sandbox0.node;

import java.util.List;

/**
 * The outcome of reconciling with the host.
 *
 * @param adopted expected and still running: the node manages them again
 * @param lost expected but no longer running (its pieces were removed, its upper dir kept for a checkpoint)
 * @param removed not expected: removed with everything they had
 * @param orphanVeths host-side veths no sandbox claimed, deleted
 */
public record ReconcileReport(List<String> adopted, List<String> lost, List<String> removed, List<String> orphanVeths,
        List<String> errors) {

    public ReconcileReport {
        adopted = List.copyOf(adopted);
        lost = List.copyOf(lost);
        removed = List.copyOf(removed);
        orphanVeths = List.copyOf(orphanVeths);
        errors = List.copyOf(errors);
    }
}
