package ai.sandbox0.procd.function;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The function WebSockets being served: stream id → harness, so client frames find their function. */
public final class FunctionSockets {

    private final Map<String, FunctionProcess> open = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong();

    public String add(FunctionProcess process) {
        String id = "fn-" + next.incrementAndGet();
        open.put(id, process);
        return id;
    }

    public FunctionProcess get(String id) {
        return id == null ? null : open.get(id);
    }

    public void remove(String id) {
        open.remove(id);
    }
}
