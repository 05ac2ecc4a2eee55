package ai.sandbox0.node;

import ai.sandbox0.node.egress.HostResolvConf;
import ai.sandbox0.node.egress.PlatformRules;
import ai.sandbox0.node.net.Cidr;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A node's settings. Host paths and binaries are here too, so the node can be pointed at fakes (or at
 * another runtime: {@code runtime} may be runc, runsc or crun).
 *
 * @param name short name prefixing every kernel object of this node (netns, veths, nft table, cgroups)
 * @param stateDir the node's own state: runc root, overlay dirs, leases, records
 * @param addressPool sandbox addresses, one /31 per sandbox
 * @param nameservers where the node's resolver sends the queries sandboxes may make
 * @param privateRanges networks no sandbox may reach whatever its policy (besides other sandboxes, this host,
 *     loopback and link-local, which are always closed); by default RFC 1918, CGNAT and IPv6 unique-local
 * @param starts how many sandboxes start at once (cold claims, resumes and pool refills) and how long a caller
 *     may wait for its turn
 * @param spareDisks empty sandbox disks of each size in use kept ready, so no start waits for mkfs
 * @param logCapBytes a run's container log is rotated past this size (the last part kept, one segment)
 * @param firstHostId the host uid and gid a sandbox's root becomes in address slot 0; slot {@code n} gets the
 *     {@link IdMap#SIZE} ids from {@code firstHostId + n * IdMap.SIZE}. Two nodes on one host need disjoint ranges.
 * @param egressTrustedCaFile PEM CA certificates the egress proxy trusts, besides the JDK's, for the
 *     destinations whose TLS it re-originates (an on-premises CA); null for none
 */
public record NodeConfig(
        String name,
        Path stateDir,
        ProcdRuntime procd,
        Path runtime,
        Path ip,
        Path nft,
        Path unshare,
        Path ldd,
        Cidr addressPool,
        List<String> nameservers,
        List<String> privateRanges,
        Duration readyTimeout,
        StartLimits starts,
        int spareDisks,
        long logCapBytes,
        long firstHostId,
        HostPaths host,
        Path egressTrustedCaFile) {

    /** Where this host keeps what the node reads and writes outside its state dir. */
    public record HostPaths(Path procMounts, Path cgroupRoot, Path netnsDir, Path sysClassNet, Path ipForward,
            Path resolvConf) {

        public static HostPaths linux() {
            return new HostPaths(Path.of("/proc/self/mounts"), Path.of("/sys/fs/cgroup"), Path.of("/run/netns"),
                    Path.of("/sys/class/net"), Path.of("/proc/sys/net/ipv4/ip_forward"), Path.of("/etc/resolv.conf"));
        }
    }

    /**
     * @param concurrent sandboxes starting at once: a start is mostly CPU, more at once only makes each slower
     * @param maxWait how long a claim or resume waits for its turn before it is answered "busy, try again"
     */
    public record StartLimits(int concurrent, Duration maxWait) {
        /** Twice the CPUs, and five seconds: a burst queues briefly, a sustained overload is told to back off. */
        public static StartLimits defaults() {
            return new StartLimits(Math.max(2, Runtime.getRuntime().availableProcessors() * 2), Duration.ofSeconds(5));
        }

        public StartLimits {
            if (concurrent < 1) {
                throw new IllegalArgumentException("at least one sandbox must be able to start at a time, got " + concurrent);
            }
            if (maxWait.isNegative()) {
                throw new IllegalArgumentException("the longest wait for a start must not be negative, got " + maxWait);
            }
        }
    }

    /** A run's container log rotates past 10 MiB by default. */
    public static final long DEFAULT_LOG_CAP = 10L << 20;

    /** Sandbox ids start at 2^30: far above any account a host or its directory service hands out. */
    public static final long DEFAULT_FIRST_HOST_ID = 1L << 30;

    public NodeConfig {
        if (firstHostId < IdMap.SIZE) {
            throw new IllegalArgumentException("the first sandbox host id must be at least " + IdMap.SIZE
                    + " (host accounts live below it), got " + firstHostId);
        }
        // Every slot's range must be a valid one: the constructor refuses ranges past the last host id.
        IdMap.ofSlot(firstHostId, addressPool.size() > 1 ? (int) (addressPool.size() / 2 - 1) : 0);
        if (logCapBytes < 4096) {
            throw new IllegalArgumentException("the log cap must be at least 4096 bytes, got " + logCapBytes);
        }
        nameservers = List.copyOf(nameservers);
        privateRanges = List.copyOf(privateRanges);
    }

    /** runc, iproute2 and nftables from Debian, 10.88.0.0/16, the host's own resolvers. */
    public static NodeConfig defaults(String name, Path stateDir, ProcdRuntime procd) {
        HostPaths host = HostPaths.linux();
        return new NodeConfig(name, stateDir, procd, Path.of("/usr/sbin/runc"), Path.of("/usr/sbin/ip"),
                Path.of("/usr/sbin/nft"), Path.of("/usr/bin/unshare"), Path.of("/usr/bin/ldd"), Cidr.parse("10.88.0.0/16"), hostNameservers(host.resolvConf()), PlatformRules.DEFAULT_PRIVATE_RANGES,
                Duration.ofSeconds(20), StartLimits.defaults(), 2, DEFAULT_LOG_CAP, DEFAULT_FIRST_HOST_ID, host, null);
    }

    public NodeConfig withAddressPool(String cidr) {
        return new NodeConfig(name, stateDir, procd, runtime, ip, nft, unshare, ldd, Cidr.parse(cidr), nameservers, privateRanges, readyTimeout,
                starts, spareDisks, logCapBytes, firstHostId, host, egressTrustedCaFile);
    }

    public NodeConfig withRuntime(Path binary) {
        return new NodeConfig(name, stateDir, procd, binary, ip, nft, unshare, ldd, addressPool, nameservers, privateRanges, readyTimeout,
                starts, spareDisks, logCapBytes, firstHostId, host, egressTrustedCaFile);
    }

    public NodeConfig withReadyTimeout(Duration timeout) {
        return new NodeConfig(name, stateDir, procd, runtime, ip, nft, unshare, ldd, addressPool, nameservers, privateRanges, timeout,
                starts, spareDisks, logCapBytes, firstHostId, host, egressTrustedCaFile);
    }

    public NodeConfig withStarts(StartLimits limits) {
        return new NodeConfig(name, stateDir, procd, runtime, ip, nft, unshare, ldd, addressPool, nameservers, privateRanges, readyTimeout,
                limits, spareDisks, logCapBytes, firstHostId, host, egressTrustedCaFile);
    }

    public NodeConfig withNameservers(List<String> servers) {
        return new NodeConfig(name, stateDir, procd, runtime, ip, nft, unshare, ldd, addressPool, servers, privateRanges, readyTimeout,
                starts, spareDisks, logCapBytes, firstHostId, host, egressTrustedCaFile);
    }

    public NodeConfig withPrivateRanges(List<String> ranges) {
        return new NodeConfig(name, stateDir, procd, runtime, ip, nft, unshare, ldd, addressPool, nameservers, ranges,
                readyTimeout, starts, spareDisks, logCapBytes, firstHostId, host, egressTrustedCaFile);
    }

    public NodeConfig withSpareDisks(int n) {
        return new NodeConfig(name, stateDir, procd, runtime, ip, nft, unshare, ldd, addressPool, nameservers, privateRanges, readyTimeout,
                starts, n, logCapBytes, firstHostId, host, egressTrustedCaFile);
    }

    public NodeConfig withLogCap(long bytes) {
        return new NodeConfig(name, stateDir, procd, runtime, ip, nft, unshare, ldd, addressPool, nameservers, privateRanges, readyTimeout,
                starts, spareDisks, bytes, firstHostId, host, egressTrustedCaFile);
    }

    public NodeConfig withFirstHostId(long id) {
        return new NodeConfig(name, stateDir, procd, runtime, ip, nft, unshare, ldd, addressPool, nameservers, privateRanges, readyTimeout,
                starts, spareDisks, logCapBytes, id, host, egressTrustedCaFile);
    }

    public NodeConfig withEgressTrustedCaFile(Path file) {
        return new NodeConfig(name, stateDir, procd, runtime, ip, nft, unshare, ldd, addressPool, nameservers, privateRanges, readyTimeout,
                starts, spareDisks, logCapBytes, firstHostId, host, file);
    }

    /** The host ids of the sandbox in address slot {@code slot}. */
    public IdMap ids(int slot) {
        return IdMap.ofSlot(firstHostId, slot);
    }

    public NodeConfig withProcd(ProcdRuntime p) {
        return new NodeConfig(name, stateDir, p, runtime, ip, nft, unshare, ldd, addressPool, nameservers, privateRanges, readyTimeout,
                starts, spareDisks, logCapBytes, firstHostId, host, egressTrustedCaFile);
    }

    /** The cgroup every sandbox of this node lives under. */
    public String cgroupParent() {
        return "/sandbox0-" + name;
    }

    /** The host's resolvers, which the node's resolver forwards sandboxes' queries to (loopback ones too: it runs here). */
    static List<String> hostNameservers(Path resolvConf) {
        try {
            return HostResolvConf.read(resolvConf).nameservers().stream()
                    .map(a -> a.getAddress().getHostAddress()).toList();
        } catch (RuntimeException e) {
            return List.of();
        }
    }
}
