package ai.sandbox0.procd.context;

import ai.sandbox0.procd.sys.ExitStatus;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Collects the output of one {@code exec} (or of a command created with {@code wait_until_done}) and
 * decides when it is complete. Fed on the poll thread, awaited on the request's virtual thread.
 *
 * <p>REPL rule (§5.4): the primary prompt token appeared and then 50 ms passed without output. When
 * the REPL has printed a prompt (primary or continuation) for every line written and the output ends
 * with the primary prompt, the REPL is waiting for input and the quiet period is skipped: that is how
 * a round trip stays in the low milliseconds. Command rule: complete at process exit.
 */
final class ExecCapture {

    enum Outcome { COMPLETE, EXITED, TIMEOUT }

    static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final TailText text;
    private final String prompt;
    private final TokenCounter primary;
    private final TokenCounter continuation;
    private final int lines;
    private final boolean untilExit;
    private final boolean fastPath;
    private int prompts;
    private boolean primarySeen;
    private boolean anyOutput;
    private long lastOutput = System.nanoTime();
    private ExitStatus exit;

    private ExecCapture(long maxChars, String prompt, String continuation, int lines, boolean untilExit,
                        boolean fastPath) {
        this.text = new TailText(maxChars);
        this.prompt = prompt;
        this.primary = new TokenCounter(prompt);
        this.continuation = new TokenCounter(continuation);
        this.lines = lines;
        this.untilExit = untilExit;
        this.fastPath = fastPath;
    }

    /**
     * {@code idle}: the REPL sat at its prompt when the input was written. Only then may prompts be
     * counted: input typed ahead of a busy REPL is echoed at once and its prompt may belong to the
     * previous command, so a busy REPL gets the quiet-period rule.
     */
    static ExecCapture forRepl(long maxChars, ReplProfile profile, String input, boolean idle) {
        return new ExecCapture(maxChars, profile.prompt(), profile.continuation(), lineCount(input), false, idle);
    }

    static ExecCapture untilExit(long maxChars) {
        return new ExecCapture(maxChars, null, null, 0, true, false);
    }

    static int lineCount(String input) {
        int n = 0;
        for (int i = 0; i < input.length(); i++) {
            char c = input.charAt(i);
            if (c == '\n' || (c == '\r' && (i + 1 == input.length() || input.charAt(i + 1) != '\n'))) {
                n++;
            }
        }
        return n;
    }

    void onText(String chunk) {
        lock.lock();
        try {
            text.append(chunk);
            int p = primary.feed(chunk);
            primarySeen |= p > 0;
            prompts += p + continuation.feed(chunk);
            anyOutput = true;
            lastOutput = System.nanoTime();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void onExit(ExitStatus status) {
        lock.lock();
        try {
            exit = status;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    Outcome await(long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (exit != null) {
                    return Outcome.EXITED;
                }
                long now = System.nanoTime();
                long wait = deadlineNanos - now;
                if (!untilExit) {
                    boolean waitingForInput = prompt != null
                            ? primarySeen
                            : anyOutput; // startup-delay REPLs have no token: quiet output is all we know
                    if (waitingForInput) {
                        if (fastPath && prompt != null && prompts >= lines && text.endsWith(prompt)) {
                            return Outcome.COMPLETE;
                        }
                        long quiet = lastOutput + QUIET_NANOS - now;
                        if (quiet <= 0) {
                            return Outcome.COMPLETE;
                        }
                        wait = Math.min(wait, quiet);
                    }
                }
                if (deadlineNanos - now <= 0) {
                    return Outcome.TIMEOUT;
                }
                changed.awaitNanos(wait);
            }
        } finally {
            lock.unlock();
        }
    }

    ExitStatus exit() {
        lock.lock();
        try {
            return exit;
        } finally {
            lock.unlock();
        }
    }

    String text() {
        lock.lock();
        try {
            return text.toString();
        } finally {
            lock.unlock();
        }
    }
}
