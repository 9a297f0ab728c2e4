package dev.kiln.ops;

import dev.kiln.autograd.Graph;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.LeakTracking;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that join or split tensors along a dim: cat, stack, split, chunk.
 *
 * <p>{@code cat} copies (promoting dtypes like {@code torch.cat}); {@code split} and {@code chunk} return
 * narrow views that share storage with the input, as in PyTorch, so their gradients come from
 * {@link Views#narrow}.
 */
public final class Joining {
    private Joining() {
    }

    /**
     * Concatenates tensors along {@code dim}, like {@code torch.cat}: all sizes must match except along
     * {@code dim}; the result dtype is the promotion of all inputs. As PyTorch's legacy rule, 1-d tensors of
     * shape {@code [0]} are skipped whatever the other shapes. Gradient: input {@code i} gets the narrow of
     * {@code grad} at its offset along {@code dim}.
     */
    public static Tensor cat(List<Tensor> tensors, long dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("torch.cat(): expected a non-empty list of Tensors");
        }
        Tensor[] inputs = tensors.toArray(new Tensor[0]);
        checkNotZeroDim(inputs);
        Tensor reference = firstNotSkipped(inputs);
        for (Tensor t : inputs) {
            Dispatch.same(reference.device(), t);
        }
        int d = Shapes.wrapDim(dim, reference.dim());
        checkCatShapes(inputs, reference, d);
        long[] offsets = new long[inputs.length];
        long total = 0;
        for (int i = 0; i < inputs.length; i++) {
            offsets[i] = total;
            total += skipped(inputs[i]) ? 0 : inputs[i].size(d);
        }
        long[] shape = reference.shape();
        if (shape.length > 0 && !skipped(reference)) {
            shape[d] = total;
        }
        Tensor out = Kernels.emptyLike(reference, promotedType(inputs), shape);
        copyInto(out, inputs, offsets, d);
        return Graph.record(out, "CatBackward0", inputs, Graph.NONE, c -> {
            Tensor[] grads = new Tensor[inputs.length];
            for (int i = 0; i < grads.length; i++) {
                if (c.needs(i)) {
                    long[] inShape = c.inputShape(i);
                    grads[i] = skipped(inShape) ? Kernels.emptyLike(c.grad(), c.grad().dtype(), 0)
                            : Views.narrow(c.grad(), d, offsets[i], inShape[d]);
                }
            }
            return grads;
        });
    }

    /** Copies each non-skipped input into its slot of {@code out} (converting dtype); records nothing. */
    private static void copyInto(Tensor out, Tensor[] inputs, long[] offsets, int d) {
        try (var g = dev.kiln.autograd.Autograd.noGrad()) {
            for (int i = 0; i < inputs.length; i++) {
                if (skipped(inputs[i])) {
                    continue;
                }
                try (Tensor slot = Views.narrow(out, d, offsets[i], inputs[i].size(d))) {
                    Dispatch.on(inputs[i], slot).pointwise().copy(inputs[i].arg(), slot.arg());
                }
            }
        }
    }

    private static void checkNotZeroDim(Tensor[] inputs) {
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].dim() == 0) {
                throw new IllegalArgumentException("zero-dimensional tensor (at position " + i
                        + ") cannot be concatenated");
            }
        }
    }

    /** PyTorch's cat shape check, with its messages; skipped ([0]-shaped) inputs are exempt. */
    private static void checkCatShapes(Tensor[] inputs, Tensor reference, int d) {
        if (skipped(reference)) {
            return; // every input is an empty vector: the result is one too
        }
        long[] ref = reference.shape();
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = inputs[i];
            if (skipped(t)) {
                continue;
            }
            if (t.dim() != ref.length) {
                throw new IllegalArgumentException("Tensors must have same number of dimensions: got " + ref.length
                        + " and " + t.dim());
            }
            for (int k = 0; k < ref.length; k++) {
                if (k != d && t.size(k) != ref[k]) {
                    throw new IllegalArgumentException("Sizes of tensors must match except in dimension " + d
                            + ". Expected size " + ref[k] + " but got size " + t.size(k) + " for tensor number " + i
                            + " in the list.");
                }
            }
        }
    }

    private static Tensor firstNotSkipped(Tensor[] inputs) {
        for (Tensor t : inputs) {
            if (!skipped(t)) {
                return t;
            }
        }
        return inputs[0];
    }

    /** PyTorch's legacy cat rule: a 1-d tensor of size 0 is ignored. */
    private static boolean skipped(Tensor t) {
        return t.dim() == 1 && t.size(0) == 0;
    }

    private static boolean skipped(long[] shape) {
        return shape.length == 1 && shape[0] == 0;
    }

    private static DType promotedType(Tensor[] inputs) {
        DType type = inputs[0].dtype();
        for (Tensor t : inputs) {
            type = DType.promote(type, t.dtype());
        }
        return type;
    }

    /**
     * Joins same-shaped tensors along a new dim {@code dim} (in {@code [-(n+1), n]}), like {@code torch.stack}:
     * {@code cat} of the unsqueezed inputs, so its gradient comes from cat and unsqueeze.
     */
    public static Tensor stack(List<Tensor> tensors, long dim) {
        if (tensors.isEmpty()) {
            throw new IllegalArgumentException("stack expects a non-empty TensorList");
        }
        long[] first = tensors.get(0).shape();
        int d = Shapes.wrapDim(dim, first.length + 1);
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (!Arrays.equals(t.shape(), first)) {
                throw new IllegalArgumentException("stack expects each tensor to be equal size, but got "
                        + Shapes.str(first) + " at entry 0 and " + Shapes.str(t.shape()) + " at entry " + i);
            }
        }
        List<Tensor> unsqueezed = new ArrayList<>(tensors.size());
        try {
            for (Tensor t : tensors) {
                unsqueezed.add(Views.unsqueeze(t, d));
            }
            return cat(unsqueezed, d);
        } finally {
            for (Tensor u : unsqueezed) {
                if (!u.isSavedForBackward()) {
                    u.close(); // views for cat only (cat saves nothing today; the check keeps that honest)
                }
            }
        }
    }

    /**
     * Splits {@code t} along {@code dim} into views of {@code splitSize} elements (the last may be smaller), like
     * {@code torch.split(t, split_size, dim)}. The views share storage with {@code t}.
     */
    public static List<Tensor> split(Tensor t, long splitSize, long dim) {
        if (t.dim() == 0) {
            throw new IllegalArgumentException("split expects at least a 1-dimensional tensor");
        }
        if (splitSize < 0) {
            throw new IllegalArgumentException("split expects split_size be non-negative, but got split_size="
                    + splitSize);
        }
        int d = Shapes.wrapDim(dim, t.dim());
        long size = t.size(d);
        if (splitSize == 0 && size != 0) {
            throw new IllegalArgumentException("split_size can only be 0 if dimension size is 0, but got dimension "
                    + "size of " + size);
        }
        long pieces = splitSize == 0 ? 1 : Math.max((size + splitSize - 1) / splitSize, 1);
        long[] sizes = new long[Math.toIntExact(pieces)];
        Arrays.fill(sizes, splitSize);
        sizes[sizes.length - 1] = size - splitSize * (pieces - 1);
        return narrowAll(t, sizes, d);
    }

    /**
     * Splits {@code t} along {@code dim} into views of the given sizes, which must sum to {@code t.size(dim)},
     * like {@code torch.split(t, [s0, s1, ...], dim)} ({@code split_with_sizes}).
     */
    public static List<Tensor> split(Tensor t, long[] sizes, long dim) {
        if (t.dim() == 0) {
            throw new IllegalArgumentException("split expects at least a 1-dimensional tensor");
        }
        int d = Shapes.wrapDim(dim, t.dim());
        long sum = 0;
        for (long s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException("split_with_sizes expects split_sizes have only non-negative entries"
                        + ", but got split_sizes=" + Shapes.str(sizes));
            }
            sum += s;
        }
        if (sum != t.size(d)) {
            throw new IllegalArgumentException("split_with_sizes expects split_sizes to sum exactly to " + t.size(d)
                    + " (input tensor's size at dimension " + d + "), but got split_sizes=" + Shapes.str(sizes));
        }
        return narrowAll(t, sizes, d);
    }

    /**
     * Splits {@code t} into at most {@code chunks} views of {@code ceil(size / chunks)} elements along
     * {@code dim}, like {@code torch.chunk}: it may return fewer chunks (6 elements in 4 chunks gives 3 of 2).
     */
    public static List<Tensor> chunk(Tensor t, long chunks, long dim) {
        if (t.dim() == 0) {
            throw new IllegalArgumentException("chunk expects at least a 1-dimensional tensor");
        }
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunk expects `chunks` to be greater than 0, got: " + chunks);
        }
        int d = Shapes.wrapDim(dim, t.dim());
        long size = t.size(d);
        long splitSize = (size + chunks - 1) / chunks;
        if (splitSize == 0 && size == 0) {
            // split would collapse any number of empty chunks into one; PyTorch keeps `chunks` empty views.
            long[] sizes = new long[Math.toIntExact(chunks)];
            return narrowAll(t, sizes, d);
        }
        return split(t, splitSize, d);
    }

    private static List<Tensor> narrowAll(Tensor t, long[] sizes, int d) {
        List<Tensor> out = new ArrayList<>(sizes.length);
        long start = 0;
        for (long s : sizes) {
            out.add(LeakTracking.handedOut(Views.narrow(t, d, start, s))); // every piece is a result
            start += s;
        }
        return out;
    }
}
