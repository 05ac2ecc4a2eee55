package ai.sandbox0.node.net;

import ai.sandbox0.node.runtime.SetupException;
import ai.sandbox0.node.runtime.Step;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Hands out /31 links from a pool such as 10.88.0.0/16 (32768 sandboxes). Each lease is a file
 * {@code <dir>/<slot>} holding the sandbox id, created with O_EXCL: the file system is the lock, and
 * a restarted node (or a crashed one's successor) sees every address still in use.
 */
public final class AddressPool {

    private final Cidr cidr;
    private final Path dir;
    private final Map<Integer, String> bySlot = new ConcurrentHashMap<>();
    private final Map<String, AddressLease> byId = new ConcurrentHashMap<>();
    // Next slot to try: hands addresses out round-robin so a released one is not reused at once.
    private int next;

    public AddressPool(Cidr cidr, Path dir) throws IOException {
        this.cidr = cidr;
        this.dir = dir;
        Files.createDirectories(dir);
        for (AddressLease l : readLeases()) {
            bySlot.put(l.slot(), l.sandboxId());
            byId.put(l.sandboxId(), l);
        }
    }

    public Cidr cidr() {
        return cidr;
    }

    public int capacity() {
        return (int) (cidr.size() / 2);
    }

    public synchronized AddressLease allocate(String sandboxId) throws SetupException {
        AddressLease existing = byId.get(sandboxId);
        if (existing != null) {
            return existing;
        }
        int n = capacity();
        for (int i = 0; i < n; i++) {
            int slot = (next + i) % n;
            if (bySlot.containsKey(slot)) {
                continue;
            }
            try {
                Files.write(dir.resolve(Integer.toString(slot)), sandboxId.getBytes(StandardCharsets.UTF_8),
                        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                continue; // taken by someone we did not know about; skip it
            } catch (IOException e) {
                throw new SetupException(Step.ALLOCATE_ADDRESS, sandboxId + ": " + e.getMessage(), e);
            }
            next = slot + 1;
            AddressLease lease = lease(sandboxId, slot);
            bySlot.put(slot, sandboxId);
            byId.put(sandboxId, lease);
            return lease;
        }
        throw new SetupException(Step.ALLOCATE_ADDRESS, sandboxId + ": address pool " + cidr + " exhausted (" + n + " sandboxes)");
    }

    public Optional<AddressLease> leaseOf(String sandboxId) {
        return Optional.ofNullable(byId.get(sandboxId));
    }

    public List<AddressLease> leases() {
        return List.copyOf(byId.values());
    }

    public synchronized void release(String sandboxId) throws SetupException {
        AddressLease lease = byId.remove(sandboxId);
        if (lease == null) {
            return;
        }
        bySlot.remove(lease.slot());
        try {
            Files.deleteIfExists(dir.resolve(Integer.toString(lease.slot())));
        } catch (IOException e) {
            throw new SetupException(Step.RELEASE_ADDRESS, sandboxId + ": " + e.getMessage(), e);
        }
    }

    private AddressLease lease(String sandboxId, int slot) {
        return new AddressLease(sandboxId, slot, cidr.address(2L * slot), cidr.address(2L * slot + 1));
    }

    private List<AddressLease> readLeases() throws IOException {
        var out = new ArrayList<AddressLease>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (!name.matches("\\d+")) {
                    continue;
                }
                int slot = Integer.parseInt(name);
                try {
                    String id = Files.readString(p).strip();
                    if (slot < capacity() && !id.isEmpty()) {
                        out.add(lease(id, slot));
                    } else {
                        Files.deleteIfExists(p); // from a different pool size or torn write
                    }
                } catch (NoSuchFileException ignored) {
                    // released meanwhile
                }
            }
        }
        return out;
    }
}
