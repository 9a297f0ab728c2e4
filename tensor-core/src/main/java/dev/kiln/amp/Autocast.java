package dev.kiln.amp;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.Set;
import java.util.function.Function;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Automatic mixed precision for a region of code, as PyTorch's {@code torch.autocast}:
 * <pre>{@code
 * try (Autocast ac = Autocast.enable(Device.Type.CPU, DType.BFLOAT16)) {
 *     Tensor loss = lossFn.forward(model.forward(x), y);   // matmuls in bfloat16, the loss in float32
 * }
 * loss.backward();                                        // outside: gradients come back in each parameter's dtype
 * }</pre>
 * Inside the region, ops on tensors of the region's device type pick their compute dtype from PyTorch 1.13's
 * autocast lists ({@link AutocastPolicy}): the "lower precision" ops (linear, matmul, mm, bmm, conv1d/conv2d, ...)
 * cast their floating inputs to the region's dtype; the "float32" ops (the losses, prod; on CUDA also softmax,
 * log_softmax, layer_norm, group_norm) cast them to float32; every other op runs in the widest type of its inputs
 * (ordinary promotion). Only float16/bfloat16/float32 tensors are cast (float64 is left alone, as in PyTorch), and
 * the casts are ordinary differentiable {@code to(dtype)} ops, so gradients flow back to float32 master weights in
 * float32.
 *
 * <p>The state is per thread and per device type, nests (an inner {@code enable} or {@link #disable} overrides the
 * outer one until it closes) and is restored by {@link #close}; regions must close in reverse order, on the thread
 * that opened them. Autograd's backward pass runs with autocast off, so the backward of each op runs in the dtypes its
 * forward used (PyTorch's rule; calling backward inside a region is allowed but not needed). Unlike PyTorch, casts of
 * weights are not cached within a region (each op casts its own copy).
 */
public final class Autocast implements AutoCloseable {
    /** Open regions over all threads: when 0, ops skip the thread-local lookup entirely. */
    private static final AtomicInteger OPEN = new AtomicInteger();
    private static final ThreadLocal<State> STATE = new ThreadLocal<>();

    /** One thread's settings; immutable, replaced on enter and restored on close. */
    record State(DType cpu, DType cuda, boolean suspended) {
        DType dtypeFor(Device.Type type) {
            return suspended ? null : type == Device.Type.CPU ? cpu : cuda;
        }
    }

    private final State previous;
    private final State mine;
    private final Thread owner = Thread.currentThread();
    private boolean closed;

    /** The handle {@link #suspend} returns when there is nothing to suspend: closing it does nothing. */
    private static final Autocast NOTHING = new Autocast();

    private Autocast() {
        this.previous = null;
        this.mine = null;
        this.closed = true;
    }

    private Autocast(State previous, State mine) {
        this.previous = previous;
        this.mine = mine;
        OPEN.incrementAndGet();
        STATE.set(mine);
    }

    /**
     * Enables autocast for {@code deviceType} with {@code dtype} (float16 or bfloat16) on this thread until
     * {@link #close}.
     */
    public static Autocast enable(Device.Type deviceType, DType dtype) {
        if (dtype == null || !dtype.isHalf()) {
            throw new IllegalArgumentException("In " + deviceType + " autocast, but the target dtype is not supported: "
                    + (dtype == null ? "null" : dtype.torchName()) + " (expected torch.float16 or torch.bfloat16)");
        }
        return set(deviceType, dtype);
    }

    /** Enables autocast with the device type's default dtype: bfloat16 on the CPU, float16 on CUDA (as PyTorch). */
    public static Autocast enable(Device.Type deviceType) {
        return enable(deviceType, deviceType == Device.Type.CPU ? DType.BFLOAT16 : DType.FLOAT16);
    }

    /** {@code torch.autocast(device_type, enabled=False)}: ops on {@code deviceType} run in their own types again. */
    public static Autocast disable(Device.Type deviceType) {
        return set(deviceType, null);
    }

    private static Autocast set(Device.Type type, DType dtype) {
        State prev = STATE.get();
        State base = prev == null ? new State(null, null, false) : prev;
        State next = type == Device.Type.CPU ? new State(dtype, base.cuda(), base.suspended())
                : new State(base.cpu(), dtype, base.suspended());
        return new Autocast(prev, next);
    }

    /** Whether autocast is on for {@code deviceType} on this thread ({@code torch.is_autocast_enabled}). */
    public static boolean isEnabled(Device.Type deviceType) {
        return dtype(deviceType) != null;
    }

    /** The autocast dtype for {@code deviceType} on this thread, or null when autocast is off there. */
    public static DType dtype(Device.Type deviceType) {
        if (OPEN.get() == 0) {
            return null;
        }
        State s = STATE.get();
        return s == null ? null : s.dtypeFor(deviceType);
    }

    /**
     * Turns autocast off on this thread until the returned handle closes (the autograd engine wraps each backward
     * pass in one); a no-op handle when no region is open.
     */
    public static Autocast suspend() {
        if (OPEN.get() == 0 || STATE.get() == null) {
            return NOTHING;
        }
        State s = STATE.get();
        return new Autocast(s, new State(s.cpu(), s.cuda(), true));
    }

    /**
     * For op implementations: {@code t} as op {@code op} takes it under autocast (PyTorch's op name, e.g.
     * {@code "linear"}, {@code "mse_loss"}): cast to the region's dtype if the op is on the lower-precision list for
     * {@code t}'s device type, to float32 if it is on the float32 list, else {@code t} itself. {@code t} itself also
     * when autocast is off, when {@code t} is null, not floating point, or float64.
     */
    public static Tensor cast(String op, Tensor t) {
        DType to = target(op, t);
        return to == null ? t : t.to(to);
    }

    /** The dtype {@link #cast} converts {@code t} to, or null when it leaves it alone. */
    private static DType target(String op, Tensor t) {
        if (OPEN.get() == 0 || t == null) {
            return null;
        }
        Device.Type type = t.device().type();
        DType region = dtype(type);
        DType d = t.dtype();
        if (region == null || !d.isFloatingPoint() || d == DType.FLOAT64) {
            return null;
        }
        DType to = AutocastPolicy.lowerPrecision(type).contains(op) ? region
                : AutocastPolicy.float32(type).contains(op) ? DType.FLOAT32 : d;
        if (AutocastPolicy.banned(type).contains(op)) {
            throw new IllegalStateException(AutocastPolicy.bannedMessage(op));
        }
        return to == d ? null : to;
    }

    /**
     * For op implementations: runs {@code op} on its operands cast by {@link #cast}, inside a temporaries scope (the
     * casts are freed with it unless the op's backward saved them) and hands out the result; returns null, doing
     * nothing, when no operand needs a cast (the caller then runs the op as usual). Null operands stay null.
     */
    public static Tensor apply(String op, Function<Tensor[], Tensor> run, Tensor... operands) {
        boolean any = false;
        for (Tensor t : operands) {
            any |= target(op, t) != null;
        }
        if (!any) {
            return null;
        }
        try (TensorScope temps = TensorScope.openTemporaries()) { // the casts live here
            Tensor[] cast = new Tensor[operands.length];
            for (int i = 0; i < operands.length; i++) {
                cast[i] = cast(op, operands[i]);
            }
            return temps.handOut(run.apply(cast));
        }
    }

    /** Whether any autocast region is open on any thread (a cheap test ops may make before {@link #cast}). */
    public static boolean anyOpen() {
        return OPEN.get() != 0;
    }

    /** Restores the settings this region replaced. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner || STATE.get() != mine) {
            throw new IllegalStateException("autocast regions must be closed in reverse order of opening, on the thread "
                    + "that opened them (" + owner.getName() + ")");
        }
        closed = true;
        if (previous == null) {
            STATE.remove();
        } else {
            STATE.set(previous);
        }
        OPEN.decrementAndGet();
    }
}
