package dev.kiln.ops;

import static dev.kiln.autograd.Graph.inputs;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.Graph;
import dev.kiln.backend.Backend;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.Arrays;

/**
 * Ops that reinterpret a tensor's geometry without copying (they share storage, so writes show through), plus
 * the copies {@code contiguous}, {@code clone} and {@code to}. The gradient of a view maps the output gradient
 * back onto the input's geometry.
 */
public final class Views {
    private Views() {
    }

    private static Tensor make(Tensor t, long[] shape, long[] strides, long offset) {
        return Tensor.ofStorage(t.storage(), t.dtype(), shape, strides, offset).markViewOf(t);
    }

    /**
     * Gives {@code view} a fresh node from its base's current history (PyTorch's regenerated view grad_fn), for a
     * view whose storage was written in place after its node was recorded; called by {@link Tensor#gradFn()}.
     */
    public static void regenerateGradFn(Tensor view) {
        CopySlices.regenerate(view);
    }

    /** Shares storage but is no view for autograd: in-place edits through it are caught by the version counter. */
    public static Tensor detach(Tensor t) {
        return Tensor.ofStorage(t.storage(), t.dtype(), t.shape(), t.strides(), t.storageOffset());
    }

    public static Tensor view(Tensor t, long[] requested) {
        long[] shape = Shapes.inferSize(requested, t.numel());
        long[] strides = viewStrides(t.shape(), t.strides(), shape);
        if (strides == null) {
            throw new IllegalStateException("view size is not compatible with input tensor's size and stride (at least "
                    + "one dimension spans across two contiguous subspaces). Use .reshape(...) instead. (input shape "
                    + Shapes.str(t.shape()) + ", strides " + Shapes.str(t.strides()) + ", requested "
                    + Shapes.str(requested) + ")");
        }
        Tensor out = make(t, shape, strides, t.storageOffset());
        return Graph.record(out, "ViewBackward0", inputs(t), Graph.NONE, c -> new Tensor[] {
            reshape(c.grad(), c.inputShape(0))});
    }

    /** Like {@code view}, but copies when the strides cannot express the new shape. */
    public static Tensor reshape(Tensor t, long[] requested) {
        long[] shape = Shapes.inferSize(requested, t.numel());
        if (viewStrides(t.shape(), t.strides(), shape) != null) {
            return view(t, shape);
        }
        Tensor c = contiguous(t);
        return view(c, shape);
    }

    /**
     * Strides for viewing (shape, strides) as newShape without a copy, or null if impossible (PyTorch's
     * computeStride: each chunk of old dims that is contiguous within itself may be re-split freely).
     */
    static long[] viewStrides(long[] oldShape, long[] oldStrides, long[] newShape) {
        if (oldShape.length == 0) { // a 0-d tensor views like a 1-element vector
            oldShape = new long[] {1};
            oldStrides = new long[] {1};
        }
        long[] newStrides = new long[newShape.length];
        if (Shapes.numel(oldShape) == 0) {
            return Shapes.contiguousStrides(newShape);
        }
        int viewD = newShape.length - 1;
        long chunkBaseStride = oldStrides.length > 0 ? oldStrides[oldStrides.length - 1] : 1;
        long tensorNumel = 1;
        long viewNumel = 1;
        for (int tensorD = oldShape.length - 1; tensorD >= 0; tensorD--) {
            tensorNumel *= oldShape[tensorD];
            if (tensorD == 0 || (oldShape[tensorD - 1] != 1
                    && oldStrides[tensorD - 1] != tensorNumel * chunkBaseStride)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
                    newStrides[viewD] = viewNumel * chunkBaseStride;
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) {
                    return null;
                }
                if (tensorD > 0) {
                    chunkBaseStride = oldStrides[tensorD - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        if (viewD != -1) {
            return null;
        }
        return newStrides;
    }

    public static Tensor transpose(Tensor t, long dim0, long dim1) {
        int n = t.dim();
        int d0 = Shapes.wrapDim(dim0, n);
        int d1 = Shapes.wrapDim(dim1, n);
        if (n == 0) {
            return make(t, t.shape(), t.strides(), t.storageOffset());
        }
        long[] shape = t.shape();
        long[] strides = t.strides();
        swap(shape, d0, d1);
        swap(strides, d0, d1);
        Tensor out = make(t, shape, strides, t.storageOffset());
        return Graph.record(out, "TransposeBackward0", inputs(t), Graph.NONE, c -> new Tensor[] {
            transpose(c.grad(), d0, d1)});
    }

    public static Tensor t(Tensor t) {
        if (t.dim() > 2) {
            throw new IllegalArgumentException("t() expects a tensor with <= 2 dimensions, but self is " + t.dim() + "D");
        }
        return t.dim() < 2 ? transpose(t, 0, 0) : transpose(t, 0, 1);
    }

    public static Tensor permute(Tensor t, long[] dims) {
        int n = t.dim();
        if (dims.length != n) {
            throw new IllegalArgumentException("permute(sparse_coo): number of dimensions in the tensor input does not "
                    + "match the length of the desired ordering of dimensions i.e. input.dim() = " + n
                    + " is not equal to len(dims) = " + dims.length);
        }
        int[] perm = new int[n];
        boolean[] seen = new boolean[n];
        long[] shape = new long[n];
        long[] strides = new long[n];
        for (int i = 0; i < n; i++) {
            perm[i] = Shapes.wrapDim(dims[i], n);
            if (seen[perm[i]]) {
                throw new IllegalArgumentException("permute(): duplicate dims are not allowed: " + Arrays.toString(dims));
            }
            seen[perm[i]] = true;
            shape[i] = t.size(perm[i]);
            strides[i] = t.stride(perm[i]);
        }
        Tensor out = make(t, shape, strides, t.storageOffset());
        return Graph.record(out, "PermuteBackward0", inputs(t), Graph.NONE, c -> {
            long[] inverse = new long[n];
            for (int i = 0; i < n; i++) {
                inverse[perm[i]] = i;
            }
            return new Tensor[] {permute(c.grad(), inverse)};
        });
    }

    public static Tensor squeeze(Tensor t) {
        long[] shape = Arrays.stream(t.shape()).filter(s -> s != 1).toArray();
        return reshapeView(t, shape, "SqueezeBackward0");
    }

    public static Tensor squeeze(Tensor t, long dim) {
        int d = Shapes.wrapDim(dim, t.dim());
        if (t.dim() == 0 || t.size(d) != 1) {
            return reshapeView(t, t.shape(), "SqueezeBackward1");
        }
        long[] shape = new long[t.dim() - 1];
        for (int i = 0, j = 0; i < t.dim(); i++) {
            if (i != d) {
                shape[j++] = t.size(i);
            }
        }
        return reshapeView(t, shape, "SqueezeBackward1");
    }

    public static Tensor unsqueeze(Tensor t, long dim) {
        int d = Shapes.wrapDim(dim, t.dim() + 1);
        long[] shape = new long[t.dim() + 1];
        long[] strides = new long[t.dim() + 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i == d) {
                shape[i] = 1;
                strides[i] = j < t.dim() ? t.stride(j) * t.size(j) : 1;
            } else {
                shape[i] = t.size(j);
                strides[i] = t.stride(j);
                j++;
            }
        }
        Tensor out = make(t, shape, strides, t.storageOffset());
        return Graph.record(out, "UnsqueezeBackward0", inputs(t), Graph.NONE, c -> new Tensor[] {
            reshape(c.grad(), c.inputShape(0))});
    }

    private static Tensor reshapeView(Tensor t, long[] shape, String name) {
        long[] strides = viewStrides(t.shape(), t.strides(), shape);
        Tensor out = make(t, shape, strides, t.storageOffset());
        return Graph.record(out, name, inputs(t), Graph.NONE, c -> new Tensor[] {reshape(c.grad(), c.inputShape(0))});
    }

    public static Tensor expand(Tensor t, long[] sizes) {
        long[] in = t.shape();
        if (sizes.length < in.length) {
            throw new IllegalArgumentException("expand: the number of sizes provided (" + sizes.length + ") must be "
                    + "greater or equal to the number of dimensions in the tensor (" + in.length + ")");
        }
        long[] shape = new long[sizes.length];
        long[] strides = new long[sizes.length];
        int lead = sizes.length - in.length;
        for (int i = 0; i < sizes.length; i++) {
            int j = i - lead;
            long size = sizes[i];
            if (j < 0) {
                if (size < 0) {
                    throw new IllegalArgumentException("expand: -1 is not allowed in a leading, non-existing dimension "
                            + i + " (sizes " + Shapes.str(sizes) + ")");
                }
                shape[i] = size;
                strides[i] = 0;
            } else if (size == -1 || size == in[j]) {
                shape[i] = in[j];
                strides[i] = t.stride(j);
            } else if (in[j] == 1) {
                shape[i] = size;
                strides[i] = 0;
            } else {
                throw new IllegalArgumentException("The expanded size of the tensor (" + size + ") must match the "
                        + "existing size (" + in[j] + ") at non-singleton dimension " + i + ".  Target sizes: "
                        + Shapes.str(sizes) + ".  Tensor sizes: " + Shapes.str(in));
            }
        }
        Tensor out = make(t, shape, strides, t.storageOffset());
        return Graph.record(out, "ExpandBackward0", inputs(t), Graph.NONE, c -> new Tensor[] {
            Reductions.sumTo(c.grad(), c.inputShape(0))});
    }

    public static Tensor narrow(Tensor t, long dim, long start, long length) {
        int d = Shapes.wrapDim(dim, t.dim());
        long size = t.size(d);
        long s = start < 0 ? start + size : start;
        if (s < 0 || s > size || length < 0 || s + length > size) {
            throw new IndexOutOfBoundsException("start (" + start + ") + length (" + length + ") exceeds dimension size ("
                    + size + ") of dim " + d + " for tensor of shape " + Shapes.str(t.shape()));
        }
        return slice(t, d, s, s + length, 1);
    }

    public static Tensor select(Tensor t, long dim, long index) {
        if (t.dim() == 0) {
            throw new IndexOutOfBoundsException("select() cannot be applied to a 0-dim tensor.");
        }
        int d = Shapes.wrapDim(dim, t.dim());
        long size = t.size(d);
        if (index < -size || index >= size) {
            throw new IndexOutOfBoundsException("select(): index " + index + " out of range for tensor of size "
                    + Shapes.str(t.shape()) + " at dimension " + d);
        }
        long i = index < 0 ? index + size : index;
        long[] shape = new long[t.dim() - 1];
        long[] strides = new long[t.dim() - 1];
        for (int k = 0, j = 0; k < t.dim(); k++) {
            if (k != d) {
                shape[j] = t.size(k);
                strides[j++] = t.stride(k);
            }
        }
        Tensor out = make(t, shape, strides, t.storageOffset() + i * t.stride(d));
        // The gradient is written through a view of zeros: with create_graph, copy_ records CopySlices, so
        // double backward goes through select.
        return Graph.record(out, "SelectBackward0", inputs(t), Graph.NONE, c -> {
            Tensor g = Tensor.zeros(c.grad().dtype(), c.grad().device(), c.inputShape(0));
            try (Tensor view = select(g, d, i)) {
                InPlace.copy(view, c.grad());
            }
            return new Tensor[] {g};
        });
    }

    public static Tensor slice(Tensor t, long dim, long start, long end, long step) {
        int d = Shapes.wrapDim(dim, t.dim());
        if (step <= 0) {
            throw new IllegalArgumentException("slice step must be positive, got " + step);
        }
        long size = t.size(d);
        long s = clampIndex(start, size);
        long e = Math.max(s, clampIndex(end, size));
        long len = (e - s + step - 1) / step;
        long[] shape = t.shape();
        long[] strides = t.strides();
        shape[d] = len;
        strides[d] = t.stride(d) * step;
        long offset = t.storageOffset() + s * t.stride(d);
        Tensor out = make(t, shape, strides, offset);
        return Graph.record(out, "SliceBackward0", inputs(t), Graph.NONE, c -> { // differentiable as select's
            Tensor g = Tensor.zeros(c.grad().dtype(), c.grad().device(), c.inputShape(0));
            try (Tensor view = slice(g, d, s, s + (shape[d] - 1) * step + 1, step)) {
                InPlace.copy(view, c.grad());
            }
            return new Tensor[] {g};
        });
    }

    private static long clampIndex(long i, long size) {
        long v = i < 0 ? i + size : i;
        return Math.max(0, Math.min(v, size));
    }

    public static Tensor flatten(Tensor t, long startDim, long endDim) {
        if (t.dim() == 0) {
            return reshape(t, new long[] {1});
        }
        int s = Shapes.wrapDim(startDim, t.dim());
        int e = Shapes.wrapDim(endDim, t.dim());
        if (s > e) {
            throw new IllegalArgumentException("flatten() has invalid args: start_dim (" + startDim
                    + ") cannot come after end_dim (" + endDim + ")");
        }
        long[] in = t.shape();
        long[] shape = new long[in.length - (e - s)];
        int j = 0;
        for (int i = 0; i < s; i++) {
            shape[j++] = in[i];
        }
        long merged = 1;
        for (int i = s; i <= e; i++) {
            merged *= in[i];
        }
        shape[j++] = merged;
        for (int i = e + 1; i < in.length; i++) {
            shape[j++] = in[i];
        }
        return reshape(t, shape);
    }

    public static Tensor unflatten(Tensor t, long dim, long[] sizes) {
        int d = Shapes.wrapDim(dim, t.dim());
        long[] inferred = Shapes.inferSize(sizes, t.size(d));
        long[] in = t.shape();
        long[] shape = new long[in.length - 1 + inferred.length];
        System.arraycopy(in, 0, shape, 0, d);
        System.arraycopy(inferred, 0, shape, d, inferred.length);
        System.arraycopy(in, d + 1, shape, d + inferred.length, in.length - d - 1);
        return reshape(t, shape);
    }

    public static Tensor contiguous(Tensor t) {
        if (t.isContiguous()) {
            return t;
        }
        return cloneTensor(t);
    }

    public static Tensor cloneTensor(Tensor t) {
        Tensor out = Kernels.emptyLike(t, t.dtype(), t.shape());
        Dispatch.on(t, out).pointwise().copy(t.arg(), out.arg());
        return Graph.record(out, "CloneBackward0", inputs(t), Graph.NONE, c -> new Tensor[] {c.grad()});
    }

    public static Tensor to(Tensor t, DType target) {
        if (t.dtype() == target) {
            return t;
        }
        Tensor out = Kernels.cast(t, target);
        if (!target.isFloatingPoint()) {
            return out;
        }
        return Graph.record(out, "ToCopyBackward0", inputs(t), Graph.NONE, c -> new Tensor[] {c.grad()});
    }

    /**
     * A copy of {@code t} on {@code target} ({@code t} itself if already there), like {@code tensor.to(device)};
     * differentiable: the gradient is moved back. The transfer runs on the GPU side's backend.
     */
    public static Tensor to(Tensor t, Device target) {
        if (t.device().equals(target)) {
            return t;
        }
        Backend mover = Backend.of(target.isCuda() ? target : t.device()); // also checks that target exists
        Tensor out = Tensor.empty(target, t.dtype(), t.shape());
        try (var g = Autograd.noGrad(); TensorScope temps = TensorScope.openTemporaries()) {
            Tensor src = t.isContiguous() ? t : contiguous(t);
            mover.memory().transfer(src.arg(), out.arg());
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
        if (!t.dtype().isFloatingPoint()) {
            return out;
        }
        Device source = t.device();
        return Graph.record(out, "ToCopyBackward0", inputs(t), Graph.NONE, c -> new Tensor[] {to(c.grad(), source)});
    }

    private static void swap(long[] a, int i, int j) {
        long x = a[i];
        a[i] = a[j];
        a[j] = x;
    }
}
