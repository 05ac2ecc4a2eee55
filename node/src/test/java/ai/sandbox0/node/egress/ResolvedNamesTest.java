package ai.sandbox0.node.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ResolvedNamesTest {

    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong now = new AtomicLong(42 * SECOND);
    private final EgressPolicies policies = new EgressPolicies();
    private final InetAddress sandbox = address("10.88.0.2");

    @Test
    void aRecordLastsItsTtlWithinTheClamp() {
        var names = new ResolvedNames(policies, 16, now::get);
        policies.put("sbx", sandbox, EgressPolicy.ALLOW_ALL);
        names.record(sandbox, "Api.Example.com.", address("198.51.100.1"), 0);
        names.record(sandbox, "long.example.com", address("198.51.100.2"), 86_400);
        names.record(sandbox, "mid.example.com", address("198.51.100.3"), 120);

        now.addAndGet(29 * SECOND);
        assertEquals(Optional.of("api.example.com"), names.nameOf(sandbox, address("198.51.100.1")),
                "a zero TTL still covers the connection that follows the answer");
        now.addAndGet(SECOND);
        assertEquals(Optional.empty(), names.nameOf(sandbox, address("198.51.100.1")), "30 s at least, no more");
        assertEquals(Optional.of("mid.example.com"), names.nameOf(sandbox, address("198.51.100.3")));
        now.addAndGet(90 * SECOND);
        assertEquals(Optional.empty(), names.nameOf(sandbox, address("198.51.100.3")));
        now.addAndGet(3_600 * SECOND);
        assertEquals(Optional.empty(), names.nameOf(sandbox, address("198.51.100.2")), "an hour at most");
    }

    @Test
    void theLatestAnswerForAnAddressWins() {
        var names = new ResolvedNames(policies, 16, now::get);
        policies.put("sbx", sandbox, EgressPolicy.ALLOW_ALL);
        names.record(sandbox, "a.example.com", address("198.51.100.1"), 300);
        names.record(sandbox, "b.example.com", address("198.51.100.1"), 300);

        assertEquals(Optional.of("b.example.com"), names.nameOf(sandbox, address("198.51.100.1")));
        assertEquals(Optional.of("b.example.com"), names.nameOf(sandbox, address("::ffff:198.51.100.1")),
                "an IPv4-mapped address is the same address");
    }

    @Test
    void eachSandboxKeepsItsNewestRecordsOnly() {
        var names = new ResolvedNames(policies, 3, now::get);
        policies.put("sbx", sandbox, EgressPolicy.ALLOW_ALL);
        for (int i = 1; i <= 5; i++) {
            names.record(sandbox, "n" + i + ".example.com", address("198.51.100." + i), 300);
        }

        assertEquals(3, names.size(sandbox));
        assertEquals(Optional.empty(), names.nameOf(sandbox, address("198.51.100.2")));
        assertEquals(Optional.of("n3.example.com"), names.nameOf(sandbox, address("198.51.100.3")));
        assertEquals(Optional.of("n5.example.com"), names.nameOf(sandbox, address("198.51.100.5")));
    }

    @Test
    void recordsGoWithTheSandboxAndAreNotKeptForAStranger() {
        var names = new ResolvedNames(policies, 16, now::get);
        policies.put("sbx", sandbox, EgressPolicy.ALLOW_ALL);
        names.record(sandbox, "a.example.com", address("198.51.100.1"), 300);
        policies.put("sbx", sandbox, EgressPolicy.compile(null));
        assertEquals(Optional.of("a.example.com"), names.nameOf(sandbox, address("198.51.100.1")),
                "a policy update keeps what the sandbox resolved");

        policies.remove(sandbox);
        assertEquals(Optional.empty(), names.nameOf(sandbox, address("198.51.100.1")));

        names.record(sandbox, "late.example.com", address("198.51.100.9"), 300);
        assertEquals(0, names.size(sandbox), "an answer arriving after the sandbox went is not kept");
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
