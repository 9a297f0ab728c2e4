package dev.kiln.nn.functional;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/** Table lookup, like {@code F.embedding}. */
public final class Embeddings {
    private Embeddings() {
    }

    /**
     * {@code out[..., :] = weight[input[...], :]}: for int64/int32 indices of any shape and {@code weight [V, D]},
     * the result has shape {@code input.shape + [D]}. Rows are copied by {@code indexSelect} (whose gradient
     * scatter-adds into the table). With {@code paddingIdx} (null for none; negative counts from the end), the
     * padding entries still return their row but pass no gradient to it, as in PyTorch.
     */
    public static Tensor embedding(Tensor input, Tensor weight, Long paddingIdx) {
        if (input.dtype() != DType.INT64 && input.dtype() != DType.INT32) {
            throw new IllegalArgumentException("Expected tensor for argument #1 'indices' to have one of the following "
                    + "scalar types: Long, Int; but got " + input.dtype().torchName() + " instead (while checking "
                    + "arguments for embedding)");
        }
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("'weight' must be 2-D, got shape " + Shapes.str(weight.shape()));
        }
        long v = weight.size(0);
        Long pad = paddingIdx == null ? null : normalizePaddingIdx(paddingIdx, v);
        try (TensorScope temps = TensorScope.openTemporaries()) { // flattened indices, padding mask, gathered rows
            return temps.handOut(lookup(input, weight, pad));
        }
    }

    private static Tensor lookup(Tensor input, Tensor weight, Long pad) {
        long v = weight.size(0);
        Tensor idx = input.to(DType.INT64).reshape(-1);
        checkRange(idx, v);
        Tensor rows = weight.indexSelect(0, idx);
        if (pad != null && weight.requiresGrad()) {
            // Same values either way; only the non-padding branch carries gradient back to the table.
            Tensor keep = idx.ne(pad).unsqueeze(1);
            rows = Tensor.where(keep, rows, rows.detach());
        }
        long[] shape = new long[input.dim() + 1];
        System.arraycopy(input.shape(), 0, shape, 0, input.dim());
        shape[input.dim()] = weight.size(1);
        return rows.reshape(shape);
    }

    /** {@code paddingIdx} in {@code [0, V)} after wrapping a negative value, or PyTorch's assertion text. */
    public static long normalizePaddingIdx(long paddingIdx, long numEmbeddings) {
        if (paddingIdx >= numEmbeddings) {
            throw new IllegalArgumentException("Padding_idx must be within num_embeddings");
        }
        if (paddingIdx < -numEmbeddings) {
            throw new IllegalArgumentException("Padding_idx must be within num_embeddings");
        }
        return paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
    }

    private static void checkRange(Tensor idx, long v) {
        if (idx.numel() == 0) {
            return;
        }
        long min = (long) idx.min().item();
        long max = (long) idx.max().item();
        if (min < 0 || max >= v) {
            throw new IndexOutOfBoundsException("index out of range in self (got index " + (min < 0 ? min : max)
                    + " for an embedding table of " + v + " rows)");
        }
    }
}
