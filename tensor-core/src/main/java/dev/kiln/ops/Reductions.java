package dev.kiln.ops;

import static dev.kiln.autograd.Graph.inputs;
import static dev.kiln.autograd.Graph.saved;

import dev.kiln.amp.Autocast;
import dev.kiln.autograd.Graph;
import dev.kiln.backend.ReduceKernels.Op;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.tensor.ValuesIndices;
import java.util.Arrays;

/**
 * Reductions over dims (with keepdim), softmax and friends. The kernel reduces the last dim, so the op moves the
 * reduced dims to the end (a view) and flattens them into one.
 */
public final class Reductions {
    private Reductions() {
    }

    /** Which dims a reduction covers: all when {@code dims} is null or empty. */
    static boolean[] reducedMask(Tensor t, long[] dims) {
        boolean[] mask = new boolean[t.dim()];
        if (dims == null || dims.length == 0) {
            Arrays.fill(mask, true);
            return mask;
        }
        for (long d : dims) {
            int w = Shapes.wrapDim(d, t.dim());
            if (t.dim() == 0) {
                continue; // a 0-d tensor accepts dim 0 / -1 and reduces nothing, as in PyTorch
            }
            if (mask[w]) {
                throw new IllegalArgumentException("dim " + w + " appears multiple times in the list of dims");
            }
            mask[w] = true;
        }
        return mask;
    }

    static long[] reducedShape(long[] shape, boolean[] mask, boolean keepdim) {
        return java.util.stream.IntStream.range(0, shape.length)
                .filter(i -> keepdim || !mask[i])
                .mapToLong(i -> mask[i] ? 1 : shape[i])
                .toArray();
    }

    /** Graph-free reduction of the masked dims into a new tensor of dtype {@code outType}. */
    static Tensor reduceRaw(Op op, Tensor t, boolean[] mask, boolean keepdim, DType outType) {
        int n = t.dim();
        long[] perm = new long[n];
        int k = 0;
        long kept = 1;
        long reduced = 1;
        for (int i = 0; i < n; i++) {
            if (!mask[i]) {
                perm[k++] = i;
                kept *= t.size(i);
            }
        }
        for (int i = 0; i < n; i++) {
            if (mask[i]) {
                perm[k++] = i;
                reduced *= t.size(i);
            }
        }
        long[] outShape = reducedShape(t.shape(), mask, keepdim);
        if (reduced == 0 && (op != Op.SUM && op != Op.PROD)) {
            throw new IllegalArgumentException(op.name().toLowerCase() + "(): Expected reduction dim to be specified "
                    + "for input.numel() == 0. Specify the reduction dim with the 'dim' argument. (input shape "
                    + Shapes.str(t.shape()) + ")");
        }
        Tensor out = Kernels.emptyLike(t, outType, outShape);
        if (reduced == 0) {
            Dispatch.on(out).pointwise().fill(out.arg(), op == Op.SUM ? 0 : 1);
            return out;
        }
        try (var g = dev.kiln.autograd.Autograd.noGrad()) {
            Tensor moved = Views.permute(t, perm);
            Tensor rows = Views.reshape(moved, new long[] {kept, reduced});
            Tensor flatOut = Views.view(out, new long[] {kept});
            Dispatch.on(rows, flatOut).reduce().reduceLastDim(op, rows.arg(), flatOut.arg());
            flatOut.close();
            Kernels.release(rows, moved);
            moved.close();
        } catch (RuntimeException | Error e) {
            out.close(); // e.g. the input was closed: no half-made output outlives the failure
            throw e;
        }
        return out;
    }

    public static Tensor sum(Tensor t, long[] dims, boolean keepdim) {
        Tensor cast = Autocast.anyOpen() ? Autocast.apply("sum", c -> sum(c[0], dims, keepdim), t) : null;
        if (cast != null) { // autocast: PyTorch's CUDA float32 list
            return cast;
        }
        boolean[] mask = reducedMask(t, dims);
        DType outType = t.dtype().isFloatingPoint() ? t.dtype() : DType.INT64;
        Tensor out = reduceRaw(Op.SUM, t, mask, keepdim, outType);
        return Graph.record(out, "SumBackward1", inputs(t), Graph.NONE, c -> new Tensor[] {
            expandBack(c.grad(), c.inputShape(0), mask, keepdim)});
    }

    public static Tensor mean(Tensor t, long[] dims, boolean keepdim) {
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("mean(): could not infer output dtype. Input dtype must be either a "
                    + "floating point or complex dtype. Got: " + t.dtype().scalarTypeName());
        }
        boolean[] mask = reducedMask(t, dims);
        long count = 1;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                count *= t.size(i);
            }
        }
        try (Tensor total = sum(t, dims, keepdim)) { // not saved by div-by-scalar: free it at once
            return Pointwise.div(total, (double) count);
        }
    }


    /** Broadcasts a reduced gradient back over the reduced dims. */
    static Tensor expandBack(Tensor g, long[] inputShape, boolean[] mask, boolean keepdim) {
        Tensor gk = g;
        if (!keepdim) {
            gk = Views.reshape(g, reducedShape(inputShape, mask, true));
        }
        return Views.expand(gk, inputShape);
    }

    /** Sums {@code g} down to {@code shape}, undoing broadcasting. */
    public static Tensor sumTo(Tensor g, long[] shape) {
        long[] gs = g.shape();
        if (Arrays.equals(gs, shape)) {
            return g;
        }
        int lead = gs.length - shape.length;
        long[] dims = java.util.stream.IntStream.range(0, gs.length)
                .filter(i -> i < lead || (shape[i - lead] == 1 && gs[i] != 1))
                .mapToLong(i -> i).toArray();
        Tensor s = dims.length == 0 ? g : sum(g, dims, true);
        return Views.reshape(s, shape);
    }

    // -------------------------------------------------------------- max / min

    public static Tensor max(Tensor t) {
        return extremum(t, Op.MAX, "MaxBackward1");
    }

    public static Tensor min(Tensor t) {
        return extremum(t, Op.MIN, "MinBackward1");
    }

    /** Full max/min; the gradient is shared evenly among tied maxima, as in PyTorch. */
    private static Tensor extremum(Tensor t, Op op, String name) {
        Tensor out = reduceRaw(op, t, reducedMask(t, null), false, t.dtype());
        return Graph.record(out, name, inputs(t), saved(t, out), c -> {
            Tensor hits = Pointwise.eq(c.saved(0), c.saved(1)).to(c.grad().dtype());
            Tensor share = Pointwise.div(c.grad(), sum(hits, null, false));
            return new Tensor[] {Pointwise.mul(hits, share)};
        });
    }

    public static ValuesIndices max(Tensor t, long dim, boolean keepdim) {
        return extremumAlong(t, dim, keepdim, Op.MAX, Op.ARGMAX, "MaxBackward0");
    }

    public static ValuesIndices min(Tensor t, long dim, boolean keepdim) {
        return extremumAlong(t, dim, keepdim, Op.MIN, Op.ARGMIN, "MinBackward0");
    }

    private static ValuesIndices extremumAlong(Tensor t, long dim, boolean keepdim, Op valueOp, Op indexOp,
                                               String name) {
        boolean[] mask = reducedMask(t, new long[] {dim});
        int d = Shapes.wrapDim(dim, t.dim());
        Tensor values = reduceRaw(valueOp, t, mask, keepdim, t.dtype());
        Tensor indices = reduceRaw(indexOp, t, mask, keepdim, DType.INT64);
        Graph.record(values, name, inputs(t), saved(indices), c -> {
            Tensor idx = keepdim ? c.saved(0) : Views.unsqueeze(c.saved(0), d);
            Tensor g = keepdim ? c.grad() : Views.unsqueeze(c.grad(), d);
            Tensor zeros = Tensor.zeros(g.dtype(), g.device(), c.inputShape(0));
            return new Tensor[] {Indexing.scatterAdd(zeros, d, idx, g)};
        });
        return new ValuesIndices(values, indices);
    }

    public static Tensor argmax(Tensor t) {
        try (Tensor flat = Views.reshape(t, new long[] {-1})) {
            return reduceRaw(Op.ARGMAX, flat, new boolean[] {true}, false, DType.INT64);
        }
    }

    public static Tensor argmax(Tensor t, long dim, boolean keepdim) {
        return reduceRaw(Op.ARGMAX, t, reducedMask(t, new long[] {dim}), keepdim, DType.INT64);
    }

    public static Tensor argmin(Tensor t) {
        try (Tensor flat = Views.reshape(t, new long[] {-1})) {
            return reduceRaw(Op.ARGMIN, flat, new boolean[] {true}, false, DType.INT64);
        }
    }

    public static Tensor argmin(Tensor t, long dim, boolean keepdim) {
        return reduceRaw(Op.ARGMIN, t, reducedMask(t, new long[] {dim}), keepdim, DType.INT64);
    }

    // -------------------------------------------------------------- statistics

    /** {@code sum((x - mean)^2) / (N - correction)}, composed so its gradient follows from the parts. */
    public static Tensor var(Tensor t, long[] dims, long correction, boolean keepdim) {
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("std and var only support floating point dtypes, got "
                    + t.dtype().torchName());
        }
        boolean[] mask = reducedMask(t, dims);
        long n = 1;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                n *= t.size(i);
            }
        }
        try (TensorScope temps = TensorScope.openTemporaries()) { // mean, centered, squares (saved ones survive)
            Tensor centered = Pointwise.sub(t, mean(t, dims, true));
            Tensor ss = sum(Pointwise.mul(centered, centered), dims, keepdim);
            // NOTE: N - correction <= 0 yields inf/nan exactly as PyTorch does (with its warning).
            return temps.handOut(Pointwise.div(ss, (double) Math.max(0, n - correction)));
        }
    }

    // -------------------------------------------------------------- softmax family

    public static Tensor softmax(Tensor t, long dim) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("softmax", c -> softmax(c[0], dim), t);
            if (cast != null) {
                return cast;
            }
        }
        return softmaxImpl(t, dim, false);
    }

    public static Tensor logSoftmax(Tensor t, long dim) {
        if (Autocast.anyOpen()) { // the op's compute dtype under autocast (PyTorch's op lists)
            Tensor cast = Autocast.apply("log_softmax", c -> logSoftmax(c[0], dim), t);
            if (cast != null) {
                return cast;
            }
        }
        return softmaxImpl(t, dim, true);
    }

    private static Tensor softmaxImpl(Tensor t, long dim, boolean log) {
        int d = Shapes.wrapDim(dim, t.dim());
        int last = Math.max(t.dim() - 1, 0);
        Tensor x = t.dtype().isFloatingPoint() ? t : Kernels.cast(t, DType.FLOAT32);
        Tensor out;
        try (var g = dev.kiln.autograd.Autograd.noGrad()) {
            Tensor moved = t.dim() == 0 ? Views.reshape(x, new long[] {1}) : Views.transpose(x, d, last);
            Tensor src = Views.contiguous(moved);
            Tensor res = Kernels.emptyLike(x, x.dtype(), src.shape());
            Dispatch.on(src, res).reduce().softmaxLastDim(src.arg(), res.arg(), log);
            Tensor back = t.dim() == 0 ? Views.reshape(res, new long[0]) : Views.transpose(res, d, last);
            out = Views.contiguous(back);
            Kernels.release(back, out);
            Kernels.release(res, out);
            Kernels.release(src, moved);
            Kernels.release(moved, x);
            Kernels.release(x, t); // the float32 copy of an integer input
        }
        if (log) {
            // d logsoftmax: g - exp(out) * sum(g, dim)
            return Graph.record(out, "LogSoftmaxBackward0", inputs(t), saved(out), c -> new Tensor[] {
                Pointwise.sub(c.grad(), Pointwise.mul(Pointwise.exp(c.saved(0)), sum(c.grad(), new long[] {d}, true)))});
        }
        // d softmax: out * (g - sum(g * out, dim))
        return Graph.record(out, "SoftmaxBackward0", inputs(t), saved(out), c -> {
            Tensor y = c.saved(0);
            Tensor dot = sum(Pointwise.mul(c.grad(), y), new long[] {d}, true);
            return new Tensor[] {Pointwise.mul(y, Pointwise.sub(c.grad(), dot))};
        });
    }

    /** {@code log(sum(exp(x), dim))}, computed stably around the max; composed for its gradient. */
    public static Tensor logsumexp(Tensor t, long dim, boolean keepdim) {
        try (TensorScope temps = TensorScope.openTemporaries()) { // the max shift and partial results
            return temps.handOut(logsumexpInScope(t, dim, keepdim));
        }
    }

    private static Tensor logsumexpInScope(Tensor t, long dim, boolean keepdim) {
        Tensor m;
        try (var g = dev.kiln.autograd.Autograd.noGrad()) {
            Tensor raw = max(t, dim, true).values();
            // An all -inf row would make x - m NaN; shift such rows by 0 instead.
            m = Indexing.maskedFill(raw, Pointwise.eq(Pointwise.abs(raw), Double.POSITIVE_INFINITY), 0);
        }
        Tensor s = sum(Pointwise.exp(Pointwise.sub(t, m)), new long[] {dim}, true);
        Tensor r = Pointwise.add(Pointwise.log(s), m);
        return keepdim ? r : Views.squeeze(r, dim);
    }
}
