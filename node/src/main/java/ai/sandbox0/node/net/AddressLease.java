package ai.sandbox0.node.net;

/**
 * One sandbox's point-to-point link: a /31 whose even address is the host end of the veth and whose
 * odd address is the sandbox's eth0 (and its default gateway is the host end).
 */
public record AddressLease(String sandboxId, int slot, String hostAddress, String sandboxAddress) {

    public static final int PREFIX = 31;
}
