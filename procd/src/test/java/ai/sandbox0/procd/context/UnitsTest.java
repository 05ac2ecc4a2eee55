package ai.sandbox0.procd.context;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.context.ContextServerFrame;
import ai.sandbox0.api.context.OutputSource;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The small pieces of the context machinery, in-process. */
class UnitsTest {

    @Test
    void signalNames() {
        assertThat(SignalName.parse("INT")).isEqualTo(OptionalInt.of(2));
        assertThat(SignalName.parse("sigint")).isEqualTo(OptionalInt.of(2));
        assertThat(SignalName.parse("SigTerm")).isEqualTo(OptionalInt.of(15));
        assertThat(SignalName.parse("kill")).isEqualTo(OptionalInt.of(9));
        assertThat(SignalName.parse("HUP")).isEqualTo(OptionalInt.of(1));
        assertThat(SignalName.parse("QUIT")).isEqualTo(OptionalInt.of(3));
        assertThat(SignalName.parse("USR1")).isEqualTo(OptionalInt.of(10));
        assertThat(SignalName.parse("usr2")).isEqualTo(OptionalInt.of(12));
        assertThat(SignalName.parse("WINCH")).isEqualTo(OptionalInt.of(28));
        assertThat(SignalName.parse("STOP")).isEqualTo(OptionalInt.of(19));
        assertThat(SignalName.parse("CONT")).isEqualTo(OptionalInt.of(18));
        assertThat(SignalName.parse("1")).isEqualTo(OptionalInt.of(1));
        assertThat(SignalName.parse("64")).isEqualTo(OptionalInt.of(64));
        for (String bad : new String[] {"0", "65", "-1", "BOGUS", "SIG", "", "SIGSEGV", "9999", "1.5"}) {
            assertThat(SignalName.parse(bad)).as(bad).isEmpty();
        }
        assertThat(SignalName.parse(null)).isEmpty();
    }

    @Test
    void promptFilterRemovesSplitTokens() {
        var f = new PromptFilter("_S0_> ", "__S0_CONT__ ");
        assertThat(f.feed("_")).isEmpty();
        assertThat(f.holding()).isTrue();
        assertThat(f.feed("S0_> ")).isEmpty();
        assertThat(f.feed("42\r\n_S0_> ")).isEqualTo("42\r\n");
        assertThat(f.feed("a_")).isEqualTo("a");
        assertThat(f.feed("b")).isEqualTo("_b");
        assertThat(f.feed("x__S0_CONT__ y")).isEqualTo("xy");
        assertThat(f.feed("tail_S0")).isEqualTo("tail");
        assertThat(f.flush()).isEqualTo("_S0");
    }

    @Test
    void tokenCounterAcrossChunks() {
        var c = new TokenCounter("_S0_> ");
        assertThat(c.feed("_S0")).isZero();
        assertThat(c.feed("_> x_S0_> ")).isEqualTo(2);
        assertThat(c.feed("")).isZero();
        assertThat(c.feed("_S0_> _S0_> ")).isEqualTo(2);
    }

    @Test
    void utf8SequencesAreNotSplit() {
        var s = new Utf8Stream();
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        assertThat(s.decode(new byte[] {'a', euro[0]})).isEqualTo("a");
        assertThat(s.decode(new byte[] {euro[1]})).isEmpty();
        assertThat(s.decode(new byte[] {euro[2], 'b'})).isEqualTo("€b");
        assertThat(s.decode(new byte[] {(byte) 0xff, 'c'})).isEqualTo("\ufffdc");
        assertThat(s.decode(new byte[] {euro[0]})).isEmpty();
        assertThat(s.flush()).isEqualTo("\ufffd");
    }

    @Test
    void execLineCount() {
        assertThat(ExecCapture.lineCount("x\n")).isEqualTo(1);
        assertThat(ExecCapture.lineCount("a\nb\n")).isEqualTo(2);
        assertThat(ExecCapture.lineCount("a\r\nb\r")).isEqualTo(2);
    }

    @Test
    void outputLogDropsOldestAndEnds() throws Exception {
        var log = new OutputLog(1000, 3);
        for (int i = 0; i < 5; i++) {
            log.append(new ContextServerFrame.Output(OutputSource.STDOUT, "f" + i));
        }
        var batch = log.await(0, 10);
        assertThat(batch.frames()).hasSize(3);
        assertThat(((ContextServerFrame.Output) batch.frames().getFirst()).data()).isEqualTo("f2");
        assertThat(batch.ended()).isFalse();
        var timeout = log.await(batch.next(), 10);
        assertThat(timeout.frames()).isEmpty();
        log.end(ContextServerFrame.Done.exit(0, ai.sandbox0.api.context.ProcessState.STOPPED));
        var last = log.await(batch.next(), 10);
        assertThat(last.ended()).isTrue();
        assertThat(last.frames()).hasSize(1);
        // A big frame evicts by size too, but the newest frame is always kept.
        var small = new OutputLog(10, 100);
        small.append(new ContextServerFrame.Output(OutputSource.PTY, "x".repeat(1000)));
        assertThat(small.await(0, 1).frames()).hasSize(1);
        small.append(new ContextServerFrame.Output(OutputSource.PTY, "y"));
        assertThat(small.await(0, 1).frames()).hasSize(1);
    }
}
