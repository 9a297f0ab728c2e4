package dev.kiln.ops;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;

/** Index-based ops: gather, scatter, indexSelect, maskedFill, oneHot. */
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
        try (Tensor v = Tensor.scalar(value, t.dtype())) {
            Tensor out = Pointwise.where(mask, v, t);
            if (!java.util.Arrays.equals(out.shape(), t.shape())) {
                throw new IllegalArgumentException("masked_fill: mask of shape " + Shapes.str(mask.shape())
                        + " cannot be broadcast to tensor of shape " + Shapes.str(t.shape()));
            }
            return out;
        }
    }

    public static Tensor gather(Tensor t, long dim, Tensor index) {
        throw new UnsupportedOperationException("gather: not implemented yet");
    }

    public static Tensor scatter(Tensor t, long dim, Tensor index, Tensor src) {
        throw new UnsupportedOperationException("scatter: not implemented yet");
    }

    public static Tensor scatterAdd(Tensor t, long dim, Tensor index, Tensor src) {
        throw new UnsupportedOperationException("scatterAdd: not implemented yet");
    }

    public static Tensor indexSelect(Tensor t, long dim, Tensor index) {
        throw new UnsupportedOperationException("indexSelect: not implemented yet");
    }

    public static Tensor oneHot(Tensor labels, long numClasses) {
        throw new UnsupportedOperationException("oneHot: not implemented yet");
    }
}
