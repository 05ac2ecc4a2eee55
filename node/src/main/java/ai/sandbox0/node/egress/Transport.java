package ai.sandbox0.node.egress;

/** The layer-4 protocol of a flow. */
public enum Transport {
    TCP,
    UDP;

    /** {@code tcp} or {@code udp}, as port specs spell it. */
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
