package ai.sandbox0.node.runtime;

/** The steps of setting up and tearing down a sandbox; every failure names one. */
public enum Step {
    ADMIT("wait for a start slot"),
    PREPARE_DIRS("prepare sandbox dirs"),
    PREPARE_DISK("prepare sandbox disk"),
    RELEASE_DISK("release sandbox disk"),
    ALLOCATE_ADDRESS("allocate address"),
    CREATE_NETNS("create network namespace"),
    CREATE_VETH("create veth pair"),
    CONFIGURE_NETNS("configure network namespace"),
    FIREWALL("apply firewall rules"),
    BIND_IDMAPPED("idmapped bind mount"),
    MOUNT_ROOTFS("mount overlay rootfs"),
    MOUNT_VOLUME("mount volume"),
    WRITE_BUNDLE("write OCI bundle"),
    RUNC_RUN("runc run"),
    WAIT_READY("wait for procd ready"),
    RUNC_EXEC("runc exec"),
    RUNC_STATE("runc state"),
    RUNC_LIST("runc list"),
    RUNC_KILL("runc kill"),
    RUNC_DELETE("runc delete"),
    UNMOUNT_ROOTFS("unmount rootfs"),
    DELETE_NETNS("delete network namespace"),
    RELEASE_ADDRESS("release address"),
    REMOVE_CGROUP("remove cgroup"),
    CHECKPOINT("checkpoint rootfs"),
    RECONCILE("reconcile host");

    private final String label;

    Step(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
