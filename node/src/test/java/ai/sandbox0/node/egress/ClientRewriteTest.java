package ai.sandbox0.node.egress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The login rewrites on what a client sends, however its bytes are split into reads (a read can end anywhere,
 * even inside a length): Redis commands pass byte for byte except AUTH and HELLO's AUTH; an MQTT CONNECT gets
 * the stored login and keeps the rest. The end-to-end behaviour against real servers is in
 * {@link EgressLoginTest}.
 */
class ClientRewriteTest {

    private static final EgressMaterial.UsernamePassword ALICE = new EgressMaterial.UsernamePassword("alice", "s3cret",
            Instant.MAX);

    @Test
    void redisCommandsPassAsTheyCameAndLoginsCarryTheStoredCredentials() throws Exception {
        String in = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$12\r\nhello\r\nworld\r\n"
                + "*2\r\n$4\r\nauth\r\n$11\r\nplaceholder\r\n"
                + "*0\r\n"
                + "*7\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$3\r\nbob\r\n$11\r\nplaceholder\r\n$7\r\nSETNAME\r\n$1\r\nx\r\n"
                + "*1\r\n$4\r\nPING\r\n"
                + "AUTH inline-placeholder\r\n"
                + "GET k\r\n";
        String want = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$12\r\nhello\r\nworld\r\n"
                + "*3\r\n$4\r\nauth\r\n$5\r\nalice\r\n$6\r\ns3cret\r\n"
                + "*0\r\n"
                + "*7\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$6\r\ns3cret\r\n$7\r\nSETNAME\r\n$1\r\nx\r\n"
                + "*1\r\n$4\r\nPING\r\n"
                + "*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$6\r\ns3cret\r\n"
                + "GET k\r\n";
        byte[] bytes = in.getBytes(StandardCharsets.UTF_8);
        for (int chunk = 1; chunk <= bytes.length; chunk++) {
            assertEquals(want, new String(through(new RedisLogin(ALICE), bytes, chunk), StandardCharsets.UTF_8),
                    "in reads of " + chunk);
        }
        var defaultUser = new RedisLogin(new EgressMaterial.UsernamePassword("default", "pw", Instant.MAX));
        assertEquals("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n", defaultUser.auth().toString(StandardCharsets.UTF_8));
        assertThrows(ClientRewrite.Malformed.class,
                () -> through(new RedisLogin(ALICE), "*1\r\n#4\r\n".getBytes(StandardCharsets.UTF_8), 100));
    }

    @Test
    void anMqttConnectGetsTheStoredLoginAndKeepsItsWillAndProperties() throws Exception {
        // MQTT 5: properties (session expiry 30), client id "c1", a will with properties, a username and a
        // password of the client's; then a PINGREQ.
        String connect = "10" + "24" + "00044d515454" + "05" + "ee" + "003c" + "05" + "1100000 01e".replace(" ", "")
                + "00026331" + "00" + "0001" + "77" + "0002" + "6279" + "0002" + "7531" + "0002" + "7031";
        byte[] in = HexFormat.of().parseHex(connect + "c000");
        // Flags 0xee: username, password, will retain, will QoS 1, will, clean start: kept, with both login bits.
        String want = "10" + "2b" + "00044d515454" + "05" + "ee" + "003c" + "05" + "110000001e"
                + "00026331" + "00" + "0001" + "77" + "0002" + "6279"
                + "0005" + HexFormat.of().formatHex("alice".getBytes()) + "0006" + HexFormat.of().formatHex("s3cret".getBytes())
                + "c000";
        for (int chunk = 1; chunk <= in.length; chunk++) {
            assertEquals(want, HexFormat.of().formatHex(through(new MqttLogin(ALICE), in, chunk)), "in reads of " + chunk);
        }
        // MQTT 3.1.1 without a login: both flags set, fields appended.
        byte[] v4 = HexFormat.of().parseHex("10" + "0e" + "00044d515454" + "04" + "02" + "003c" + "0002" + "6331");
        assertArrayEquals(HexFormat.of().parseHex("10" + "1d" + "00044d515454" + "04" + "c2" + "003c" + "0002" + "6331"
                + "0005" + HexFormat.of().formatHex("alice".getBytes()) + "0006" + HexFormat.of().formatHex("s3cret".getBytes())),
                through(new MqttLogin(ALICE), v4, v4.length));
        assertEquals("20020004", HexFormat.of().formatHex(bytes(MqttLogin.badLogin(Unpooled.wrappedBuffer(v4)))));
        assertEquals("2003008600", HexFormat.of().formatHex(bytes(MqttLogin.badLogin(Unpooled.wrappedBuffer(in)))));
    }

    private static byte[] through(ClientRewrite rewrite, byte[] in, int chunk) throws ClientRewrite.Malformed {
        var out = new ByteArrayOutputStream();
        try {
            for (int at = 0; at < in.length; at += chunk) {
                int n = Math.min(chunk, in.length - at);
                rewrite.feed(Unpooled.copiedBuffer(in, at, n), b -> out.writeBytes(bytes(b)));
            }
        } finally {
            rewrite.release();
        }
        return out.toByteArray();
    }

    private static byte[] bytes(ByteBuf b) {
        try {
            byte[] a = new byte[b.readableBytes()];
            b.readBytes(a);
            return a;
        } finally {
            b.release();
        }
    }
}
