package dev.kiln.tensor;

import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Finds temporaries that Kiln code created and forgot to close, for tests ({@code KilnTest} turns it on).
 *
 * <p>The rule. While tracking is on for a thread, every tensor created on it remembers the <em>call</em> that made
 * it: the nearest frame on the stack that is not Kiln code (the caller: a test method, a lambda, user code), the
 * call site in it, and the Kiln method called there. The tensor is <em>handed out</em> once it is touched (its
 * shape, dtype, data or a math method is used) from outside that call, or once Kiln gives it an owner (autograd
 * saves it, it becomes a view's base, a {@code .grad}, a module parameter or optimizer state through
 * {@link TensorScope#keep}/{@link TensorScope#detach}). A tensor still open when a caller's {@link TensorScope}
 * closes that was never handed out was created by a Kiln call, never closed, never returned to anyone and never
 * owned: a temporary the call leaked. Scope close records it ({@link #takeReports()}), naming the Kiln frames that
 * made it. Only scopes that callers open report: a scope Kiln code opens (a {@link TensorScope#openTemporaries}
 * scope, or a plain one such as a data loader's per-batch scope) is how that code frees its temporaries.
 *
 * <p>Cost: creations and touches walk the stack (a few microseconds each) until the tensor is handed out or
 * closed. Kernels never see a {@code Tensor} (they get {@code KernelArg}s, built without a touch), so their many
 * re-reads of an operand cost nothing here.
 *
 * <p>Limits (documented): a temporary that its own call passes to a callback into user code counts as handed out;
 * a temporary touched again by a later call from the same call site with the same Kiln entry (a loop) counts as
 * still inside its call; and a result no one ever touches ({@code x.add(1);} as a bare statement) counts as leaked,
 * so tests use or close what they create. Tensors a factory ({@code Tensor.zeros}, {@code of}, ...) makes for its
 * caller are its results from the start. Classes count as Kiln code when they are in {@code dev.kiln} and
 * not loaded from a test-classes directory or a tests jar ({@link #treatAsKilnCode} adds more, for self-tests); JDK
 * frames are transparent. Off (the default), it costs a null check per tensor access and an atomic read per
 * tensor creation.
 */
public final class LeakTracking {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> false);
    /** Threads with tracking on; lets tensor creation skip the thread-local lookup when none is. */
    private static final AtomicInteger ACTIVE = new AtomicInteger();
    private static final ThreadLocal<List<String>> REPORTS = ThreadLocal.withInitial(ArrayList::new);
    private static final StackWalker.StackFrame[] NO_FRAMES = new StackWalker.StackFrame[0];
    private static final StackWalker WALKER = StackWalker.getInstance();
    private static final ConcurrentHashMap<String, Kind> KIND_BY_NAME = new ConcurrentHashMap<>();
    private static final Set<String> EXTRA_KILN = ConcurrentHashMap.newKeySet();
    private static final int CHAIN = 6;

    private enum Kind { KILN, TRANSPARENT, CALLER }

    private LeakTracking() {
    }

    /** Starts tracking tensors created on this thread. */
    public static void enable() {
        if (!ENABLED.get()) {
            ENABLED.set(true);
            ACTIVE.incrementAndGet();
        }
    }

    /** Stops tracking on this thread (tensors keep their record until handed out or closed). */
    public static void disable() {
        if (ENABLED.get()) {
            ENABLED.set(false);
            ACTIVE.decrementAndGet();
        }
    }

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    /** The leaked temporaries recorded on this thread since the last call, one line each; clears them. */
    public static List<String> takeReports() {
        List<String> out = new ArrayList<>(REPORTS.get());
        REPORTS.get().clear();
        return out;
    }

    /** Counts {@code c} as Kiln code (for tests of the check itself, which need a "Kiln" op that leaks). */
    public static void treatAsKilnCode(Class<?> c) {
        EXTRA_KILN.add(c.getName());
    }

    public static void forgetKilnCode(Class<?> c) {
        EXTRA_KILN.remove(c.getName());
    }

    /**
     * Marks {@code t} as handed out (for Kiln code that returns several results together, e.g. a
     * {@link ValuesIndices} or the pieces of a split: a caller that uses only some of them leaked nothing).
     */
    public static Tensor handedOut(Tensor t) {
        if (t != null) {
            t.handedOut();
        }
        return t;
    }

    // ------------------------------------------------------------------ frames

    private static Kind kind(String className) {
        if (EXTRA_KILN.contains(className)) {
            return Kind.KILN;
        }
        return KIND_BY_NAME.computeIfAbsent(className, LeakTracking::classify);
    }

    private static Kind classify(String n) {
        if (n.startsWith("java.") || n.startsWith("jdk.") || n.startsWith("sun.") || n.startsWith("com.sun.")) {
            return Kind.TRANSPARENT;
        }
        if (!n.startsWith("dev.kiln.")) {
            return Kind.CALLER;
        }
        try {
            ClassLoader l = Thread.currentThread().getContextClassLoader();
            Class<?> c = Class.forName(n, false, l != null ? l : LeakTracking.class.getClassLoader());
            return isTestCode(c) ? Kind.CALLER : Kind.KILN;
        } catch (ClassNotFoundException | LinkageError e) {
            return Kind.KILN;
        }
    }

    private static boolean isTestCode(Class<?> c) {
        CodeSource src = c.getProtectionDomain().getCodeSource();
        if (src == null || src.getLocation() == null) {
            return false;
        }
        String loc = src.getLocation().getPath();
        return loc.contains("/test-classes/") || loc.endsWith("-tests.jar");
    }

    private static boolean isFactory(StackWalker.StackFrame entry) {
        String c = entry.getClassName();
        return c.equals("dev.kiln.tensor.TensorFactories") || c.equals("dev.kiln.ops.Creation")
                || (c.equals("dev.kiln.tensor.Tensor") && (entry.getMethodName().equals("empty")
                        || entry.getMethodName().equals("allocate") || entry.getMethodName().equals("ofStorage")));
    }

    /** Where a tracked tensor was made: its caller's frame and call site, and the Kiln frames below it. */
    static final class Site {
        final String callerClass;
        final String callerMethod;
        final int callerBci;
        final String entryMethod;
        final StackWalker.StackFrame[] kilnFrames; // innermost first, at most CHAIN

        private Site(StackWalker.StackFrame caller, StackWalker.StackFrame entry, StackWalker.StackFrame[] kiln) {
            this.callerClass = caller.getClassName();
            this.callerMethod = caller.getMethodName();
            this.callerBci = caller.getByteCodeIndex();
            this.entryMethod = entry == null ? "" : entry.getClassName() + "." + entry.getMethodName();
            this.kilnFrames = kiln;
        }

        boolean sameCall(Site o) {
            return callerBci == o.callerBci && callerClass.equals(o.callerClass)
                    && callerMethod.equals(o.callerMethod) && entryMethod.equals(o.entryMethod);
        }

        String describe() {
            StringBuilder b = new StringBuilder();
            for (StackWalker.StackFrame f : kilnFrames) {
                String cls = f.getClassName();
                if (cls.equals(Tensor.class.getName())) {
                    continue; // Tensor.<init>/empty/allocate say nothing about which op leaked
                }
                b.append(b.length() == 0 ? "" : " <- ").append(cls.substring(cls.lastIndexOf('.') + 1))
                        .append('.').append(f.getMethodName()).append(':').append(f.getLineNumber());
            }
            return b.append(" (called from ").append(callerClass.substring(callerClass.lastIndexOf('.') + 1))
                    .append('.').append(callerMethod).append(')').toString();
        }
    }

    // ------------------------------------------------------------------ events from Tensor and TensorScope

    /** The call creating a tensor now (null when tracking is off here); settles the queue of touches first. */
    static Site onCreate() {
        if (ACTIVE.get() == 0 || !ENABLED.get()) {
            return null;
        }
        return WALKER.walk(frames -> {
            List<StackWalker.StackFrame> kiln = new ArrayList<>();
            StackWalker.StackFrame entry = null;
            for (var it = frames.iterator(); it.hasNext(); ) {
                StackWalker.StackFrame f = it.next();
                if (f.getClassName().equals(LeakTracking.class.getName())) {
                    continue;
                }
                Kind k = kind(f.getClassName());
                if (k == Kind.CALLER) {
                    if (entry != null && isFactory(entry)) {
                        return null; // Tensor.zeros(...) and friends make exactly their caller's result
                    }
                    int from = Math.max(0, kiln.size() - CHAIN);
                    return new Site(f, entry, kiln.subList(from, kiln.size()).toArray(new StackWalker.StackFrame[0]));
                }
                if (k == Kind.KILN) {
                    entry = f;
                    kiln.add(f);
                }
            }
            return null;
        });
    }

    /**
     * A touch of a tracked tensor (outside a kernel): a stack walk tells whether it comes from outside the call
     * that created it.
     */
    static void onTouch(Tensor t) {
        if (!ENABLED.get()) {
            t.handedOut(); // another thread (a data loader worker, a task) has it: it left its call
            return;
        }
        Site s = t.leakSite();
        if (s == null) {
            return;
        }
        Site now = WALKER.walk(frames -> {
            StackWalker.StackFrame entry = null;
            for (var it = frames.iterator(); it.hasNext(); ) {
                StackWalker.StackFrame f = it.next();
                if (f.getClassName().equals(LeakTracking.class.getName())) {
                    continue;
                }
                Kind k = kind(f.getClassName());
                if (k == Kind.CALLER) {
                    return new Site(f, entry, NO_FRAMES);
                }
                if (k == Kind.KILN) {
                    entry = f;
                }
            }
            return null;
        });
        if (now == null || !s.sameCall(now)) {
            t.handedOut();
        }
    }

    /** Whether the code calling into {@code TensorScope} on this thread is Kiln code (it frees its temporaries). */
    static boolean calledFromKilnCode() {
        return WALKER.walk(frames -> {
            for (var it = frames.iterator(); it.hasNext(); ) {
                StackWalker.StackFrame f = it.next();
                String c = f.getClassName();
                if (c.equals(LeakTracking.class.getName()) || c.equals(TensorScope.class.getName())) {
                    continue;
                }
                Kind k = kind(c);
                if (k != Kind.TRANSPARENT) {
                    return k == Kind.KILN;
                }
            }
            return false;
        });
    }

    /** Records a tensor that its scope had to close although no one outside its creating call ever had it. */
    static void report(Tensor t, Site site) {
        REPORTS.get().add("tensor " + Shapes.str(t.shapeUntracked()) + " created by " + site.describe());
    }
}
