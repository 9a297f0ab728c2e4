package dev.kiln.ops;

import static dev.kiln.autograd.Graph.inputs;
import static dev.kiln.autograd.Graph.saved;

import dev.kiln.autograd.Graph;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.util.Arrays;

/**
 * Index-based ops: gather, scatter, scatterAdd, indexSelect, indexAdd, maskedFill, oneHot.
 *
 * <p>The op layer owns every check (dtypes, shapes, index bounds, with PyTorch's messages) so the backend
 * kernels can trust their inputs. Index tensors are INT64; INT32 indices are converted first. As in PyTorch's
 * CPU kernels, negative indices are out of bounds (no wrapping). Each op declares its gradient right below its
 * forward, written with these same differentiable ops so double backward works.
 */
public final class Indexing {
    private Indexing() {
    }

    /** {@code where(mask, value, t)}: differentiable through {@code where}. */
    public static Tensor maskedFill(Tensor t, Tensor mask, double value) {
        if (mask.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("masked_fill_ only supports boolean masks, but got mask with dtype "
                    + mask.dtype().torchName());
        }
        Shapes.broadcast(t.shape(), mask.shape()); // fail early with PyTorch's broadcast message
        try (Tensor v = Tensor.zeros(t.dtype(), t.device()).fill_(value)) {
            Tensor out = Pointwise.where(mask, v, t);
            if (!java.util.Arrays.equals(out.shape(), t.shape())) {
                out.close();
                throw new IllegalArgumentException("masked_fill: mask of shape " + Shapes.str(mask.shape())
                        + " cannot be broadcast to tensor of shape " + Shapes.str(t.shape()));
            }
            return out;
        }
    }

    // -------------------------------------------------------------- gather / scatter

    /**
     * {@code out[i][j][k] = t[i][index[i][j][k]][k]} for {@code dim = 1}, like {@code torch.gather}. The result
     * has the index's shape; {@code index.size(d) <= t.size(d)} for every {@code d != dim}.
     * Gradient: {@code zeros(t.shape).scatter_add(dim, index, grad)}.
     */
    public static Tensor gather(Tensor t, long dim, Tensor index) {
        int d = Shapes.wrapDim(dim, t.dim());
        Tensor idx = longIndex(index, "gather");
        try {
            checkGatherShape(t, d, idx);
            checkBounds(idx, sizeAt(t, d), d, "");
            Tensor out = Kernels.emptyLike(t, t.dtype(), idx.shape());
            Dispatch.on(t, idx, out).index().gather(t.arg(), d, idx.arg(), out.arg());
            return Graph.record(out, "GatherBackward0", inputs(t), saved(idx), c -> new Tensor[] {
                scatterAdd(Tensor.zeros(c.grad().dtype(), c.grad().device(), c.inputShape(0)), d, c.saved(0), c.grad())});
        } finally {
            releaseIndex(idx, index);
        }
    }

    /**
     * Out-of-place {@code torch.scatter}: a copy of {@code t} with {@code out[i][index[i][j][k]][k] = src[i][j][k]}
     * for {@code dim = 1}. With repeated indices the last write wins (PyTorch leaves it unspecified).
     * Gradient: {@code t} gets {@code grad} with the scattered positions zeroed; {@code src} gets
     * {@code grad.gather(dim, index)}.
     */
    public static Tensor scatter(Tensor t, long dim, Tensor index, Tensor src) {
        int d = Shapes.wrapDim(dim, t.dim());
        Tensor idx = longIndex(index, "scatter");
        try {
            checkSameDtype(t, src, "scatter");
            checkScatterShape(t, d, idx, src);
            checkBounds(idx, sizeAt(t, d), d, "");
            Tensor out = scatterRaw(t, d, idx, src, false);
            return Graph.record(out, "ScatterBackward0", inputs(t, src), saved(idx), c -> new Tensor[] {
                c.needs(0) ? scatter(c.grad(), d, c.saved(0), Tensor.zeros(c.grad().dtype(), c.grad().device(), c.saved(0).shape()))
                        : null,
                c.needs(1) ? padTo(gather(c.grad(), d, c.saved(0)), c.inputShape(1)) : null});
        } finally {
            releaseIndex(idx, index);
        }
    }

    /**
     * Out-of-place {@code torch.scatter_add}: a copy of {@code t} with {@code src} summed in at {@code index};
     * repeated indices accumulate. Gradient: {@code t} gets {@code grad}; {@code src} gets
     * {@code grad.gather(dim, index)}.
     */
    public static Tensor scatterAdd(Tensor t, long dim, Tensor index, Tensor src) {
        int d = Shapes.wrapDim(dim, t.dim());
        // PyTorch's scatter_add reports its dtype errors under the name "scatter" (shared scatter_meta_impl).
        Tensor idx = longIndex(index, "scatter");
        try {
            checkSameDtype(t, src, "scatter");
            checkScatterShape(t, d, idx, src);
            checkBounds(idx, sizeAt(t, d), d, "");
            Tensor out = scatterRaw(t, d, idx, src, true);
            return Graph.record(out, "ScatterAddBackward0", inputs(t, src), saved(idx), c -> new Tensor[] {
                c.needs(0) ? c.grad() : null,
                c.needs(1) ? padTo(gather(c.grad(), d, c.saved(0)), c.inputShape(1)) : null});
        } finally {
            releaseIndex(idx, index);
        }
    }

    /** Closes the int64 copy/view made of {@code index} unless it is {@code index} itself or autograd saved it. */
    private static void releaseIndex(Tensor idx, Tensor index) {
        if (idx != index && !idx.isSavedForBackward()) {
            idx.close();
        }
    }

    /** A copy of {@code t} with {@code src} written (or added) at {@code idx}; records nothing. */
    private static Tensor scatterRaw(Tensor t, int d, Tensor idx, Tensor src, boolean accumulate) {
        Tensor out = Kernels.emptyLike(t, t.dtype(), t.shape());
        Dispatch.on(t, out).pointwise().copy(t.arg(), out.arg());
        Dispatch.on(out, idx, src).index().scatter(out.arg(), d, idx.arg(), src.arg(), accumulate);
        return out;
    }

    // -------------------------------------------------------------- index_select / index_add

    /**
     * Selects the slices {@code index[0], index[1], ...} of {@code t} along {@code dim}, like
     * {@code torch.index_select}; {@code index} is 0-d or 1-d. The result is a new tensor (not a view).
     * Gradient: {@code zeros(t.shape).index_add(dim, index, grad)}.
     */
    public static Tensor indexSelect(Tensor t, long dim, Tensor index) {
        int d = Shapes.wrapDim(dim, t.dim());
        if (index.dim() > 1) {
            throw new IndexOutOfBoundsException("index_select(): Index is supposed to be a vector, got index of shape "
                    + Shapes.str(index.shape()));
        }
        Tensor idx = vectorIndex(index, "index_select");
        try {
            if (t.dim() == 0 && idx.numel() != 1) {
                throw new IndexOutOfBoundsException("index_select(): Index to scalar can have only 1 value, got "
                        + idx.numel() + " value(s)");
            }
            checkBounds(idx, sizeAt(t, d), d, "index out of range in self: ");
            long[] shape = t.shape();
            if (shape.length > 0) {
                shape[d] = idx.numel();
            }
            Tensor out = Kernels.emptyLike(t, t.dtype(), shape);
            Dispatch.on(t, idx, out).index().indexSelect(t.arg(), d, idx.arg(), out.arg());
            return Graph.record(out, "IndexSelectBackward0", inputs(t), saved(idx), c -> new Tensor[] {
                indexAdd(Tensor.zeros(c.grad().dtype(), c.grad().device(), c.inputShape(0)), d, c.saved(0), c.grad())});
        } finally {
            releaseIndex(idx, index);
        }
    }

    /**
     * Out-of-place {@code torch.index_add}: a copy of {@code t} with slice {@code i} of {@code source} along
     * {@code dim} added into slice {@code index[i]}; repeated indices accumulate. Gradient: {@code t} gets
     * {@code grad}; {@code source} gets {@code grad.index_select(dim, index)}.
     */
    public static Tensor indexAdd(Tensor t, long dim, Tensor index, Tensor source) {
        int d = Shapes.wrapDim(dim, t.dim());
        if (index.dim() > 1) {
            throw new IndexOutOfBoundsException("index_add_(): Index is supposed to be a vector, got index of shape "
                    + Shapes.str(index.shape()));
        }
        Tensor idx = vectorIndex(index, "index_add_");
        try {
            checkIndexAddShapes(t, d, idx, source);
            checkBounds(idx, sizeAt(t, d), d, "index_add_(): ");
            Tensor out = Kernels.emptyLike(t, t.dtype(), t.shape());
            Dispatch.on(t, out).pointwise().copy(t.arg(), out.arg());
            Dispatch.on(out, idx, source).index().indexAdd(out.arg(), d, idx.arg(), source.arg());
            return Graph.record(out, "IndexAddBackward0", inputs(t, source), saved(idx), c -> new Tensor[] {
                c.needs(0) ? c.grad() : null,
                c.needs(1) ? Views.reshape(indexSelect(c.grad(), d, c.saved(0)), c.inputShape(1)) : null});
        } finally {
            releaseIndex(idx, index);
        }
    }

    // -------------------------------------------------------------- one_hot

    /**
     * {@code F.one_hot}: int64 tensor of shape {@code labels.shape + [numClasses]} with a 1 at each label;
     * {@code numClasses = -1} infers {@code max(labels) + 1}. Not differentiable (integer output).
     */
    public static Tensor oneHot(Tensor labels, long numClasses) {
        if (labels.dtype() != DType.INT64 && labels.dtype() != DType.INT32) {
            throw new IllegalArgumentException("one_hot is only applicable to index tensor of type LongTensor. (got "
                    + labels.dtype().torchName() + ")");
        }
        long[] shape = Arrays.copyOf(labels.shape(), labels.dim() + 1);
        if (labels.numel() == 0) {
            if (numClasses <= 0) {
                throw new IllegalArgumentException("Can not infer total number of classes from empty tensor.");
            }
            shape[shape.length - 1] = numClasses;
            return Kernels.emptyLike(labels, DType.INT64, shape);
        }
        long[] values = labels.toLongArray();
        long min = Arrays.stream(values).min().getAsLong();
        long max = Arrays.stream(values).max().getAsLong();
        if (min < 0) {
            throw new IllegalArgumentException("Class values must be non-negative.");
        }
        if (numClasses == -1) {
            numClasses = max + 1;
        } else if (numClasses <= max) {
            throw new IllegalArgumentException("Class values must be smaller than num_classes.");
        }
        shape[shape.length - 1] = numClasses;
        Tensor out = Tensor.zeros(DType.INT64, labels.device(), shape);
        Tensor idx = longIndex(labels, "one_hot");
        try (Tensor column = Views.unsqueeze(idx, -1);
             Tensor one = Tensor.ones(DType.INT64, labels.device());
             Tensor ones = Kernels.broadcastTo(one, column.shape())) {
            Dispatch.on(out, column, ones).index().scatter(out.arg(), shape.length - 1, column.arg(), ones.arg(), false);
        } finally {
            Kernels.release(idx, labels);
        }
        return out;
    }

    // -------------------------------------------------------------- checks and helpers

    /** {@code index} as INT64, converting INT32; an empty index of any dtype is accepted like PyTorch. */
    private static Tensor longIndex(Tensor index, String op) {
        if (index.dtype() == DType.INT64) {
            return index;
        }
        if (index.dtype() == DType.INT32 || index.numel() == 0) {
            return Kernels.cast(index, DType.INT64);
        }
        throw new IllegalArgumentException(op + "(): Expected dtype int64 for index, but got "
                + index.dtype().torchName());
    }

    /** index_select/index_add accept int32 or int64 vectors (int32 is converted). */
    private static Tensor vectorIndex(Tensor index, String op) {
        if (index.dtype() != DType.INT64 && index.dtype() != DType.INT32) {
            throw new IllegalArgumentException(op + "(): Expected dtype int32 or int64 for index, but got "
                    + index.dtype().torchName());
        }
        return Kernels.cast(index, DType.INT64);
    }

    /** Every index value must lie in {@code [0, size)}; the message names the first offender. */
    private static void checkBounds(Tensor idx, long size, int dim, String prefix) {
        for (long v : idx.toLongArray()) {
            if (v < 0 || v >= size) {
                throw new IndexOutOfBoundsException(prefix + "index " + v + " is out of bounds for dimension " + dim
                        + " with size " + size);
            }
        }
    }

    /** PyTorch's gather_shape_check: same ndim, and index no larger than t outside {@code dim}. */
    private static void checkGatherShape(Tensor t, int d, Tensor idx) {
        if (idx.numel() == 0) {
            return;
        }
        if (nonEmptyDim(t) != nonEmptyDim(idx)) {
            throw new IllegalArgumentException("Index tensor must have the same number of dimensions as input tensor"
                    + " (index shape " + Shapes.str(idx.shape()) + ", input shape " + Shapes.str(t.shape()) + ")");
        }
        for (int i = 0; i < nonEmptyDim(t); i++) {
            if (i != d && sizeAt(idx, i) > sizeAt(t, i)) {
                throw new IllegalArgumentException("Size does not match at dimension " + i + " expected index "
                        + Shapes.str(idx.shape()) + " to be smaller than self " + Shapes.str(t.shape())
                        + " apart from dimension " + d);
            }
        }
    }

    /** PyTorch's scatter_shape_check: index no larger than t outside {@code dim} and no larger than src. */
    private static void checkScatterShape(Tensor t, int d, Tensor idx, Tensor src) {
        if (idx.numel() == 0) {
            return;
        }
        if (nonEmptyDim(t) != nonEmptyDim(idx)) {
            throw new IllegalArgumentException("Index tensor must have the same number of dimensions as self tensor"
                    + " (index shape " + Shapes.str(idx.shape()) + ", self shape " + Shapes.str(t.shape()) + ")");
        }
        if (nonEmptyDim(src) != nonEmptyDim(idx)) {
            throw new IllegalArgumentException("Index tensor must have the same number of dimensions as src tensor"
                    + " (index shape " + Shapes.str(idx.shape()) + ", src shape " + Shapes.str(src.shape()) + ")");
        }
        for (int i = 0; i < nonEmptyDim(t); i++) {
            if ((i != d && sizeAt(idx, i) > sizeAt(t, i)) || sizeAt(idx, i) > sizeAt(src, i)) {
                throw new IllegalArgumentException("Expected index " + Shapes.str(idx.shape()) + " to be smaller than "
                        + "self " + Shapes.str(t.shape()) + " apart from dimension " + d
                        + " and to be smaller size than src " + Shapes.str(src.shape()));
            }
        }
    }

    private static void checkIndexAddShapes(Tensor t, int d, Tensor idx, Tensor source) {
        if (source.dtype() != t.dtype()) {
            throw new IllegalArgumentException("index_add_(): self (" + t.dtype().torchName() + ") and source ("
                    + source.dtype().torchName() + ") must have the same scalar type");
        }
        if (nonEmptyDim(source) != nonEmptyDim(t)) {
            throw new IllegalArgumentException("index_add_(): source and destination must have the same number of "
                    + "dimensions (source " + Shapes.str(source.shape()) + ", self " + Shapes.str(t.shape()) + ")");
        }
        if (sizeAt(source, d) != idx.numel()) {
            throw new IllegalArgumentException("index_add_(): Number of indices (" + idx.numel() + ") should be equal "
                    + "to source.size(dim) (" + sizeAt(source, d) + ")");
        }
        for (int i = 0; i < nonEmptyDim(t); i++) {
            if (i != d && sizeAt(source, i) != sizeAt(t, i)) {
                throw new IllegalArgumentException("index_add_(): source " + Shapes.str(source.shape())
                        + " must match self " + Shapes.str(t.shape()) + " in every dimension but " + d);
            }
        }
    }

    private static void checkSameDtype(Tensor t, Tensor src, String op) {
        if (t.dtype() != src.dtype()) {
            throw new IllegalArgumentException(op + "(): Expected self.dtype to be equal to src.dtype (self "
                    + t.dtype().torchName() + ", src " + src.dtype().torchName() + ")");
        }
    }

    /** PyTorch's ensure_nonempty_dim: a 0-d tensor counts as 1-d. */
    private static int nonEmptyDim(Tensor t) {
        return Math.max(1, t.dim());
    }

    /** PyTorch's ensure_nonempty_size: a 0-d tensor has size 1 along dim 0. */
    private static long sizeAt(Tensor t, int d) {
        return t.dim() == 0 ? 1 : t.size(d);
    }

    /**
     * Embeds {@code g} in the leading corner of zeros of {@code shape} (scatter's src may be larger than the
     * index; its other elements get no gradient). NOTE: this padding itself is not recorded for double backward.
     */
    private static Tensor padTo(Tensor g, long[] shape) {
        if (Arrays.equals(g.shape(), shape)) {
            return g;
        }
        Tensor out = Tensor.zeros(g.dtype(), g.device(), shape);
        Tensor corner = out.detach();
        for (int i = 0; i < g.dim(); i++) {
            corner = Views.narrow(corner, i, 0, g.size(i));
        }
        Dispatch.on(g, corner).pointwise().copy(g.arg(), corner.arg());
        return out;
    }
}
