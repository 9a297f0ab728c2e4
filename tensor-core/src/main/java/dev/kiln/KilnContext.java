package dev.kiln;

import dev.kiln.tensor.Generator;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Per-thread Kiln settings for one training loop (e.g. one Spark task); nests like a stack per thread.
 *
 * <p>Several training loops can share one JVM (Spark runs several tasks per executor). Without a context they
 * share the process-wide defaults: one default {@link Generator} (so their random draws interleave and neither
 * run is reproducible), one thread count, one root allocator and one GC valve. A context gives one loop its own:
 *
 * <pre>{@code
 * try (KilnContext ctx = KilnContext.builder().seed(42).numThreads(cores / tasks).allocator(taskAllocator).open()) {
 *     Kiln.manualSeed(7);               // seeds only this context's generator
 *     ... build the model, train ...
 * }
 * }</pre>
 *
 * <p>What a context changes on the thread that opened it (and on threads it is {@link #propagate propagated} to):
 * <ul>
 *   <li>{@link Generator#defaultGenerator()} returns the context's generator (so {@code Kiln.manualSeed},
 *       {@code Tensor.randn}, weight init and dropout use it), like passing a {@code torch.Generator} everywhere;
 *   <li>{@link Kiln#numThreads()} returns the context's thread count: CPU kernels split into at most that many
 *       chunks on the shared pool, so N tasks with {@code numThreads = cores / N} do not oversubscribe the cores
 *       (PyTorch's {@code set_num_threads} is per process; this is per loop);
 *   <li>{@code TensorScope.currentAllocator()} falls back to the context's allocator when no scope is open;
 *   <li>{@code gcPressure(false)} stops the GC valve from calling {@code System.gc()} on this context's
 *       allocations (a full GC stalls every task in the JVM).
 * </ul>
 * Settings not given to the builder inherit from the enclosing context on this thread, else the process defaults
 * ({@link Kiln}'s). What stays shared (documented shares): the CPU kernel pool ({@code availableProcessors} daemon
 * threads), OpenBLAS's own thread pool (set to the calling loop's count before each GEMM), the host block cache
 * ({@code HostMemoryPool}) and the GC valve's byte counters.
 *
 * <p>A context belongs to the thread that opened it and must be closed there, innermost first; closing out of
 * order throws. Closing is idempotent.
 */
public final class KilnContext implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<KilnContext>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final KilnContext parent;
    private final Generator generator;
    private final int numThreads;
    private final BufferAllocator allocator;
    private final Boolean gcPressure;
    private final Thread owner;
    private boolean closed;

    private KilnContext(KilnContext parent, Builder b) {
        this.parent = parent;
        this.generator = b.generator;
        this.numThreads = b.numThreads;
        this.allocator = b.allocator;
        this.gcPressure = b.gcPressure;
        this.owner = Thread.currentThread();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a context; every setting is optional. */
    public static final class Builder {
        private Generator generator;
        private int numThreads;
        private BufferAllocator allocator;
        private Boolean gcPressure;

        private Builder() {
        }

        /** A fresh {@code Generator(seed)} becomes this thread's default generator. */
        public Builder seed(long seed) {
            this.generator = new Generator(seed);
            return this;
        }

        /** Uses {@code g} as this thread's default generator (it may be shared with other code; it is locked). */
        public Builder generator(Generator g) {
            if (g == null) {
                throw new IllegalArgumentException("KilnContext generator must not be null");
            }
            this.generator = g;
            return this;
        }

        /** CPU kernel threads for this loop ({@link Kiln#numThreads()} returns it); at least 1. */
        public Builder numThreads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("KilnContext numThreads must be >= 1, got " + n);
            }
            this.numThreads = n;
            return this;
        }

        /** Where tensors made outside any {@code TensorScope} allocate (a scope opened inside uses it too). */
        public Builder allocator(BufferAllocator a) {
            if (a == null) {
                throw new IllegalArgumentException("KilnContext allocator must not be null");
            }
            this.allocator = a;
            return this;
        }

        /** Whether the GC valve may call {@code System.gc()} on allocations made inside this context. */
        public Builder gcPressure(boolean enabled) {
            this.gcPressure = enabled;
            return this;
        }

        /** Binds the context to the current thread (pushed on this thread's stack of contexts). */
        public KilnContext open() {
            ArrayDeque<KilnContext> stack = STACK.get();
            KilnContext ctx = new KilnContext(stack.peek(), this);
            stack.push(ctx);
            return ctx;
        }
    }

    /** The innermost open context on this thread, or null. */
    public static KilnContext current() {
        return STACK.get().peek();
    }

    /** This context's default generator: its own, else the enclosing context's, else the process-wide one. */
    public Generator generator() {
        for (KilnContext c = this; c != null; c = c.parent) {
            if (c.generator != null) {
                return c.generator;
            }
        }
        return Generator.processDefault();
    }

    /** CPU kernel threads: this context's count, else the enclosing context's, else {@link Kiln#setNumThreads}'s. */
    public int numThreads() {
        for (KilnContext c = this; c != null; c = c.parent) {
            if (c.numThreads > 0) {
                return c.numThreads;
            }
        }
        return Kiln.processNumThreads();
    }

    /** Allocator for tensors made outside any scope: this context's, else the enclosing one's, else the root. */
    public BufferAllocator allocator() {
        for (KilnContext c = this; c != null; c = c.parent) {
            if (c.allocator != null) {
                return c.allocator;
            }
        }
        return Kiln.rootAllocator();
    }

    /** Whether the GC valve may collect on this context's allocations (inherited; default true). */
    public boolean gcPressure() {
        for (KilnContext c = this; c != null; c = c.parent) {
            if (c.gcPressure != null) {
                return c.gcPressure;
            }
        }
        return true;
    }

    /** Whether the GC valve may collect on an allocation made on the current thread. */
    public static boolean gcPressureEnabled() {
        KilnContext c = current();
        return c == null || c.gcPressure();
    }

    /**
     * Wraps {@code r} so that, on whichever thread runs it, it runs with the caller's current context installed
     * (and only that: the other thread's own contexts are hidden for the duration and restored after). With no
     * context open at the call, {@code r} runs with none (process defaults).
     */
    public static Runnable propagate(Runnable r) {
        if (r == null) {
            throw new IllegalArgumentException("propagate: runnable must not be null");
        }
        KilnContext captured = current();
        return () -> {
            ArrayDeque<KilnContext> saved = install(captured);
            try {
                r.run();
            } finally {
                STACK.set(saved);
            }
        };
    }

    /** {@link #propagate(Runnable)} for a {@link Callable}. */
    public static <T> Callable<T> propagate(Callable<T> c) {
        if (c == null) {
            throw new IllegalArgumentException("propagate: callable must not be null");
        }
        KilnContext captured = current();
        return () -> {
            ArrayDeque<KilnContext> saved = install(captured);
            try {
                return c.call();
            } finally {
                STACK.set(saved);
            }
        };
    }

    /** Replaces this thread's stack with one holding {@code ctx} (or nothing); returns the old stack. */
    private static ArrayDeque<KilnContext> install(KilnContext ctx) {
        ArrayDeque<KilnContext> saved = STACK.get();
        ArrayDeque<KilnContext> fresh = new ArrayDeque<>();
        if (ctx != null) {
            fresh.push(ctx);
        }
        STACK.set(fresh);
        return saved;
    }

    /** Pops this context; must run on the opening thread, innermost context first. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("KilnContext must be closed on the thread that opened it ("
                    + owner.getName() + "), not on " + Thread.currentThread().getName());
        }
        ArrayDeque<KilnContext> stack = STACK.get();
        if (stack.peek() != this) {
            throw new IllegalStateException(stack.contains(this)
                    ? "KilnContexts must be closed in reverse order of opening: an inner context ("
                            + stack.peek() + ") is still open"
                    : "KilnContext " + this + " is not open on this thread's stack (was it opened inside a "
                            + "propagated task that has finished?)");
        }
        stack.pop();
        closed = true;
    }

    @Override
    public String toString() {
        return "KilnContext[generator seed " + generator().initialSeed() + ", numThreads " + numThreads()
                + ", allocator " + allocator().getName() + ", gcPressure " + gcPressure() + ", thread "
                + owner.getName() + "]";
    }
}
