package dev.kiln.tensor;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.Engine;
import dev.kiln.autograd.Node;
import dev.kiln.autograd.RemovableHandle;
import dev.kiln.backend.Backend;
import dev.kiln.backend.KernelArg;
import dev.kiln.memory.Storage;
import dev.kiln.ops.Creation;
import dev.kiln.ops.Views;
import java.lang.ref.Cleaner;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;

/**
 * An n-dimensional array over Arrow memory, with PyTorch's names and semantics.
 *
 * <p>A tensor is a view: {@link Storage} (a reference-counted Arrow buffer) plus shape, strides and offset in
 * elements. View ops ({@link #view}, {@link #transpose}, {@link #narrow}, ...) share storage, so writes through
 * one view are seen by the others. Math routes to the op families in {@code dev.kiln.ops}, each of which
 * declares its gradient next to its forward. This class holds the state (geometry, memory, autograd) and the
 * identity; views, element access and in-place ops live in {@link TensorViews}, the math methods in
 * {@link TensorMath} and the factories ({@code zeros}, {@code randn}, ...) in {@link TensorFactories}, all reached
 * through {@code Tensor}.
 *
 * <p>Memory: every tensor is {@link AutoCloseable}. Tensors created inside a {@link TensorScope} are closed with
 * it; a tensor that becomes unreachable without being closed is released by a GC safety net.
 */
public final class Tensor extends TensorViews implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Storage storage;
    private final DType dtype;
    private final Device device;
    private final long[] shape;
    private final long[] strides;
    private final long offset;
    private final Cleaner.Cleanable cleanable;
    private volatile boolean closed;
    private TensorScope ownerScope;

    // Autograd state (see dev.kiln.autograd).
    private boolean requiresGrad;
    private Tensor grad;
    private Node gradFn;
    private int gradFnVersion; // storage version when gradFn was set; a view whose storage moved on is regenerated
    private Node gradAccumulator;
    private boolean retainsGrad;
    private Tensor viewBase; // the tensor whose storage a view op (view, select, ...) reinterprets; null otherwise
    private LeakTracking.Site leakSite; // while LeakTracking follows it: the call that made it, until handed out
    private int savedForBackward; // graph nodes holding it for backward: an op's temporaries scope must not close it
    private KernelArg kernelArg; // built on first use; immutable, so a racy double build is harmless

    /** Makes a tensor over {@code storage}, taking ownership of one reference to it. */
    private Tensor(Storage storage, DType dtype, Device device, long[] shape, long[] strides, long offset) {
        this.storage = storage;
        this.dtype = dtype;
        this.device = device;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.cleanable = CLEANER.register(this, new Releaser(storage));
        this.leakSite = LeakTracking.onCreate();
        TensorScope scope = TensorScope.current();
        if (scope != null) {
            ownerScope = scope;
            scope.register(this);
        }
    }

    /** Releases the storage reference exactly once, whether by close() or by the GC safety net. */
    private record Releaser(Storage storage) implements Runnable {
        @Override
        public void run() {
            storage.release();
        }
    }

    // ---------------------------------------------------------------- construction (low level)

    /**
     * A tensor over existing storage with explicit geometry (like {@code torch.as_strided}); retains the storage.
     * Checks that every addressable element lies inside the storage.
     */
    public static Tensor ofStorage(Storage storage, DType dtype, long[] shape, long[] strides, long offset) {
        Shapes.checkView(storage.byteSize(), dtype, shape, strides, offset);
        return new Tensor(storage.retain(), dtype, storage.device(), shape.clone(), strides.clone(), offset);
    }

    /** An uninitialized contiguous tensor allocated from the current scope's allocator. */
    public static Tensor empty(DType dtype, long... shape) {
        return allocate(TensorScope.currentAllocator(), dtype, shape, false);
    }

    /** An uninitialized contiguous tensor on {@code device} (host memory from the current scope's allocator). */
    public static Tensor empty(Device device, DType dtype, long... shape) {
        return allocate(device, TensorScope.currentAllocator(), dtype, shape, false);
    }

    /** A contiguous host tensor allocated from {@code allocator}, zero-filled if asked. */
    public static Tensor allocate(BufferAllocator allocator, DType dtype, long[] shape, boolean zeroed) {
        return allocate(Device.CPU, allocator, dtype, shape, zeroed);
    }

    /**
     * A contiguous tensor on {@code device}, zero-filled if asked; host memory comes from {@code allocator}, device
     * memory from the device backend's accounted allocator.
     */
    public static Tensor allocate(Device device, BufferAllocator allocator, DType dtype, long[] shape, boolean zeroed) {
        for (long s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("Trying to create tensor with negative dimension " + s + ": "
                        + Shapes.str(shape));
            }
        }
        long n = Shapes.numel(shape);
        Storage storage = device == Device.CPU ? Storage.allocate(allocator, n * dtype.byteSize(), zeroed)
                : Backend.of(device).memory().allocate(device, allocator, n * dtype.byteSize(), zeroed);
        return new Tensor(storage, dtype, device, shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    /** Exports this tensor's elements as an Arrow vector; zero-copy when the tensor is contiguous from offset 0. */
    public FieldVector toArrow(String name) {
        return Creation.toArrow(this, name);
    }

    // ---------------------------------------------------------------- metadata

    /** The sizes of each dimension (a copy). */
    public long[] shape() {
        touch();
        return shape.clone();
    }

    public long size(long dim) {
        touch();
        return shape[Shapes.wrapDim(dim, shape.length)];
    }

    /** Strides in elements, like {@code tensor.stride()} (a copy). */
    public long[] strides() {
        touch();
        return strides.clone();
    }

    public long stride(long dim) {
        touch();
        return strides[Shapes.wrapDim(dim, shape.length)];
    }

    public long storageOffset() {
        touch();
        return offset;
    }

    public int dim() {
        touch();
        return shape.length;
    }

    public long numel() {
        touch();
        return Shapes.numel(shape);
    }

    public DType dtype() {
        touch();
        return dtype;
    }

    public Device device() {
        touch();
        return device;
    }

    /** The shared storage; throws if this tensor was closed. */
    public Storage storage() {
        touch();
        checkOpen();
        return storage;
    }

    public boolean isContiguous() {
        touch();
        return Shapes.isContiguous(shape, strides);
    }

    /**
     * Address of element {@code [0, 0, ...]}: native host memory on the CPU, a device address otherwise. Code above
     * the backends should pass {@link #arg()} to a kernel instead.
     */
    public long dataAddress() {
        touch();
        checkOpen();
        return storage.address() + offset * dtype.byteSize();
    }

    /**
     * This tensor as a kernel argument (storage, dtype, geometry; no autograd). Built once; throws if this tensor
     * was closed. Not a leak-tracking touch: kernels' reads are the op's own.
     */
    public KernelArg arg() {
        checkOpen();
        KernelArg a = kernelArg;
        if (a == null) {
            a = new KernelArg(this, storage, dtype, shape, strides, offset); // shape/strides are never mutated
            kernelArg = a;
        }
        return a;
    }

    // ---------------------------------------------------------------- memory

    public boolean isClosed() {
        touch();
        return closed;
    }

    /**
     * Releases this tensor's reference to its storage, and its {@code .grad} (which it owns). Idempotent. Views
     * keep shared storage alive.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            ownerScope = null;
            leakSite = null;
            cleanable.clean();
            if (grad != null) {
                grad.close();
                grad = null;
            }
        }
    }

    /**
     * Leak tracking (tests only): a touch from outside the call that created this tensor means it was handed out.
     * Costs one null check when tracking is off.
     */
    void touch() {
        if (leakSite != null) {
            LeakTracking.onTouch(this);
        }
    }

    /**
     * Marks this tensor as saved by an autograd node for its backward formula (not for user code): an op's
     * {@link TensorScope#openTemporaries temporaries scope} hands it to the enclosing scope instead of closing it.
     */
    public void markSavedForBackward() {
        savedForBackward++;
        handedOut();
    }

    /** A node that saved this tensor released it (backward ran without {@code retainGraph}); not for user code. */
    public void releaseSavedForBackward() {
        if (savedForBackward > 0) {
            savedForBackward--;
        }
    }

    public boolean isSavedForBackward() {
        return savedForBackward > 0;
    }

    /** Leak tracking: this tensor now has an owner (a caller, a scope keep/detach, autograd, a view). */
    void handedOut() {
        leakSite = null;
    }

    /** Leak tracking: the call that made this tensor if it was never handed out, else null. */
    LeakTracking.Site leakSite() {
        return leakSite;
    }

    long[] stridesUntracked() {
        return strides;
    }

    long storageOffsetUntracked() {
        return offset;
    }

    /** The shape without counting as a touch (for leak reports). */
    long[] shapeUntracked() {
        return shape.clone();
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("Tensor of shape " + Shapes.str(shape) + " (" + dtype.torchName()
                    + ") was already released; it cannot be used after close() or after its TensorScope closed");
        }
    }

    TensorScope ownerScope() {
        return ownerScope;
    }

    void setOwnerScope(TensorScope scope) {
        ownerScope = scope;
    }

    // ---------------------------------------------------------------- autograd

    public boolean requiresGrad() {
        touch();
        return requiresGrad;
    }

    /** Sets whether autograd records operations on this leaf tensor, like {@code requires_grad_()}. */
    public Tensor requiresGrad_(boolean value) {
        touch();
        if (gradFn != null && !value) {
            throw new IllegalStateException("you can only change requires_grad flags of leaf variables. If you want to "
                    + "use a computed variable in a subgraph that doesn't require differentiation use "
                    + "var_no_grad = var.detach().");
        }
        if (value && !dtype.isFloatingPoint()) {
            throw new IllegalStateException("only Tensors of floating point dtype can require gradients, got "
                    + dtype.torchName());
        }
        requiresGrad = value;
        return this;
    }

    /** The accumulated gradient, or null. */
    public Tensor grad() {
        touch();
        return grad;
    }

    /**
     * Replaces the gradient (null clears it), like assigning {@code x.grad}. The replaced gradient, which this
     * tensor owned, is released: when the innermost open {@link TensorScope} closes, or at once if none is open.
     */
    public void setGrad(Tensor g) {
        touch();
        if (g != null && !java.util.Arrays.equals(g.shape, shape)) {
            throw new IllegalArgumentException("assigned grad has data of a different size: grad " + Shapes.str(g.shape)
                    + " vs tensor " + Shapes.str(shape));
        }
        Tensor replaced = grad;
        grad = g;
        if (replaced != null && replaced != g) {
            releaseReplaced(replaced);
        }
    }

    private static void releaseReplaced(Tensor old) {
        TensorScope scope = TensorScope.current();
        if (scope == null) {
            old.close();
        } else {
            old.setOwnerScope(scope);
            scope.register(old);
        }
    }

    /**
     * The node that made this tensor, or null for a leaf. A view whose storage was modified in place since its node
     * was recorded (through its base or another view) gets a node regenerated from its base's current history
     * first, as PyTorch does, so it never backpropagates into values that were overwritten.
     */
    public Node gradFn() {
        touch();
        if (gradFn != null && viewBase != null && !closed && storage.version() != gradFnVersion) {
            Views.regenerateGradFn(this);
        }
        return gradFn;
    }

    /** Set by ops that record history; not for user code. */
    public void setGradFn(Node node) {
        gradFn = node;
        gradFnVersion = closed ? 0 : storage.version();
        requiresGrad = node != null || requiresGrad;
    }

    /** The node that accumulates into this leaf's {@code .grad} (created on first use); not for user code. */
    public Node gradAccumulator() {
        if (gradAccumulator == null) {
            gradAccumulator = Node.accumulateGrad(this);
        }
        return gradAccumulator;
    }

    /**
     * Calls {@code hook} with this leaf after its {@code .grad} holds the whole gradient of a backward pass, like
     * PyTorch 2's {@code register_post_accumulate_grad_hook}; see {@code dev.kiln.autograd.GradHooks}.
     */
    public RemovableHandle registerPostAccumulateGradHook(java.util.function.Consumer<Tensor> hook) {
        return Autograd.registerPostAccumulateGradHook(this, hook);
    }

    /** The base tensor this one is a view of (through view ops, not {@code detach}), or null; like {@code ._base}. */
    public Tensor viewBase() {
        return viewBase;
    }

    /** Marks this tensor as a view of {@code base} (or of base's own base); set by view ops, not for user code. */
    public Tensor markViewOf(Tensor base) {
        viewBase = base.viewBase != null ? base.viewBase : base;
        viewBase.handedOut(); // the view owns a reference to its base (autograd reaches it through viewBase)
        return this;
    }

    public boolean isLeaf() {
        touch();
        return gradFn == null;
    }

    /** Keeps {@code .grad} for this non-leaf tensor after backward, like {@code retain_grad()}. */
    public Tensor retainGrad() {
        touch();
        if (!requiresGrad) {
            throw new IllegalStateException("can't retain_grad on Tensor that has requires_grad=False");
        }
        if (gradFn != null) {
            retainsGrad = true;
            gradFn.retainGradFor(this);
        }
        return this;
    }

    public boolean retainsGrad() {
        return retainsGrad;
    }

    /** Backpropagates from this scalar: accumulates d(this)/d(leaf) into every leaf's {@code .grad}. */
    public void backward() {
        touch();
        Engine.backward(this, null, false, false);
    }

    /** Backpropagates with an explicit upstream gradient of this tensor's shape (vector-Jacobian product). */
    public void backward(Tensor gradient) {
        touch();
        Engine.backward(this, gradient, false, false);
    }

    public void backward(Tensor gradient, boolean retainGraph) {
        touch();
        Engine.backward(this, gradient, retainGraph, false);
    }

    public void backward(Tensor gradient, boolean retainGraph, boolean createGraph) {
        touch();
        Engine.backward(this, gradient, retainGraph, createGraph);
    }

    /** A tensor sharing storage with this one but cut from the graph, like {@code detach()}. */
    public Tensor detach() {
        touch();
        return Views.detach(this);
    }

    /** Detaches in place: this tensor becomes a leaf that does not require grad. */
    public Tensor detach_() {
        touch();
        gradFn = null;
        requiresGrad = false;
        return this;
    }

    // ---------------------------------------------------------------- printing

    /** Prints like PyTorch: {@code tensor([[1., 2.], [3., 4.]], requires_grad=True)}. */
    @Override
    public String toString() {
        touch();
        if (closed) {
            return "tensor(<released>, shape=" + Shapes.str(shape) + ")";
        }
        return TensorFormatter.format(this);
    }
}
