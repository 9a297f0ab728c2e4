package dev.kiln.tensor;

import dev.kiln.Kiln;
import dev.kiln.KilnContext;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A try-with-resources region that owns every tensor created inside it on this thread and closes them when it
 * closes, like DJL's {@code NDScope}. Scopes nest; a tensor belongs to the innermost open scope.
 *
 * <pre>{@code
 * try (var scope = TensorScope.open()) {
 *     Tensor loss = model.forward(x).sub(y).pow(2).mean();
 *     loss.backward();           // leaf .grad tensors are not owned by the scope
 *     optimizer.step();
 * }                              // activations, saved tensors and temporaries are freed here
 * }</pre>
 *
 * <p>{@link #keep(Tensor)} moves a tensor out to the enclosing scope (or to no scope), so a result can outlive
 * the step. A scope may carry its own Arrow allocator; tensors created inside it allocate from it, which lets
 * tests assert that nothing leaked by closing that allocator.
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<TensorScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final BufferAllocator allocator;
    /** A Kiln-internal scope for one op's temporaries: no leak reports, and graph-saved tensors survive it. */
    private final boolean temporaries;
    private final Thread owner = Thread.currentThread();
    private List<Tensor> tensors = new ArrayList<>();
    private boolean closed;

    /** Whether closing reports leaked temporaries: only scopes that callers open (LeakTracking; tests only). */
    private final boolean reportsLeaks;

    private TensorScope(BufferAllocator allocator, boolean temporaries) {
        this.allocator = allocator;
        this.temporaries = temporaries;
        // A scope Kiln code opens is how that code frees its own temporaries: closing it is not a leak.
        this.reportsLeaks = !temporaries && LeakTracking.isEnabled() && !LeakTracking.calledFromKilnCode();
    }

    /** Opens a scope that allocates from the enclosing scope's allocator (or the root allocator). */
    public static TensorScope open() {
        return open(currentAllocator());
    }

    /** Opens a scope whose tensors allocate from {@code allocator}. */
    public static TensorScope open(BufferAllocator allocator) {
        if (allocator == null) {
            throw new IllegalArgumentException("allocator must not be null");
        }
        TensorScope scope = new TensorScope(allocator, false);
        STACK.get().push(scope);
        return scope;
    }

    /**
     * Opens a scope for the temporaries of one Kiln op (for op implementations, not user code): the op hands its
     * results out with {@link #handOut} and the scope closes everything else it made when it closes. Tensors that
     * autograd saved for backward are not closed but moved to the enclosing scope (or to no scope), which owns them
     * as it owns the op's results. Closing such a scope is how an op frees its temporaries, so it reports no leaks.
     */
    public static TensorScope openTemporaries() {
        TensorScope scope = new TensorScope(currentAllocator(), true);
        STACK.get().push(scope);
        return scope;
    }

    /** The innermost open scope on this thread, or null. */
    static TensorScope current() {
        return STACK.get().peek();
    }

    /**
     * The allocator new tensors on this thread use: the innermost scope's, else the current {@link KilnContext}'s,
     * else the process root.
     */
    public static BufferAllocator currentAllocator() {
        TensorScope s = current();
        if (s != null) {
            return s.allocator;
        }
        KilnContext ctx = KilnContext.current();
        return ctx == null ? Kiln.rootAllocator() : ctx.allocator();
    }

    public BufferAllocator allocator() {
        return allocator;
    }

    void register(Tensor t) {
        tensors.add(t);
    }

    /** True if this scope owns {@code t}: {@code t} was made inside it and neither kept nor detached since. */
    public boolean owns(Tensor t) {
        return t.ownerScope() == this;
    }

    /**
     * Moves {@code t} out of the scope that owns it into that scope's parent (or to no scope), so it survives
     * the owner's close. Returns {@code t}.
     */
    public static Tensor keep(Tensor t) {
        t.handedOut();
        TensorScope owner = t.ownerScope();
        if (owner != null) {
            TensorScope parent = owner.parent();
            t.setOwnerScope(parent);
            if (parent != null) {
                parent.register(t);
            }
        }
        return t;
    }

    /** Makes {@code t} owned by no scope: only {@link Tensor#close()} or the GC safety net frees it. */
    public static Tensor detach(Tensor t) {
        t.handedOut();
        t.setOwnerScope(null);
        return t;
    }

    /**
     * Moves {@code t} to the enclosing scope (or to no scope) if this scope owns it, so it survives this scope's
     * close; a tensor this scope does not own (an input, a view owned elsewhere) is left alone. Returns {@code t}.
     */
    public Tensor handOut(Tensor t) {
        if (t != null && t.ownerScope() == this) {
            keep(t);
        }
        return t;
    }

    private TensorScope parent() {
        boolean seen = false;
        for (TensorScope s : STACK.get()) {
            if (seen) {
                return s;
            }
            seen = s == this;
        }
        return null;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("TensorScope must be closed on the thread that opened it (" + owner.getName() + ")");
        }
        ArrayDeque<TensorScope> stack = STACK.get();
        if (stack.peek() != this) {
            throw new IllegalStateException("TensorScopes must be closed in reverse order of opening");
        }
        stack.pop();
        closed = true;
        List<Tensor> owned = tensors;
        tensors = null;
        for (Tensor t : owned) {
            if (t.ownerScope() != this) {
                continue;
            }
            if (temporaries && t.isSavedForBackward()) {
                // The graph needs it until backward: whoever owns the op's results owns it too.
                TensorScope parent = stack.peek(); // this scope is popped already: the top is its parent
                t.setOwnerScope(parent);
                if (parent != null) {
                    parent.register(t);
                }
                continue;
            }
            LeakTracking.Site site = reportsLeaks ? t.leakSite() : null;
            if (site != null && !t.isClosed()) {
                LeakTracking.report(t, site); // made by a Kiln call that neither closed nor returned it
            }
            t.close();
        }
    }
}
