package dev.kiln.nn.functional;

import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.Arrays;

/** Argument checks for class-index losses with the messages of ATen's {@code nll_loss_nd} and {@code nll_loss}. */
final class LossChecks {
    private LossChecks() {
    }

    /** Dims, batch size and dtype of a class-index target for log-probabilities {@code [C]}, {@code [N, C, d...]}. */
    static void checkClassTargetShape(Tensor logp, Tensor target) {
        if (logp.dim() < 1) {
            throw new IllegalArgumentException("Expected 1 or more dimensions (got " + logp.dim() + ")");
        }
        if (target.dtype() != DType.INT64) {
            throw new IllegalArgumentException("expected scalar type Long but found " + target.dtype().scalarTypeName());
        }
        if (logp.dim() == 1) {
            if (target.dim() != 0) {
                throw new IllegalArgumentException("size mismatch (got input: " + Shapes.str(logp.shape()) + ", target: "
                        + Shapes.str(target.shape()) + ")");
            }
            return;
        }
        if (target.dim() == 0 || logp.size(0) != target.size(0)) {
            throw new IllegalArgumentException("Expected input batch_size (" + logp.size(0) + ") to match target "
                    + "batch_size (" + (target.dim() == 0 ? 0 : target.size(0)) + ").");
        }
        if (logp.dim() == 2 && target.dim() != 1) {
            throw new IllegalArgumentException("0D or 1D target tensor expected, multi-target not supported");
        }
        long[] expected = new long[logp.dim() - 1];
        expected[0] = logp.size(0);
        for (int i = 2; i < logp.dim(); i++) {
            expected[i - 1] = logp.size(i);
        }
        if (!Arrays.equals(expected, target.shape())) {
            throw new IllegalArgumentException("Expected target size " + Shapes.str(expected) + ", got "
                    + Shapes.str(target.shape()));
        }
    }

    /**
     * Every target must be a class in {@code [0, C)} or {@code ignoreIndex}, as ATen asserts. Checked with a
     * reduction on the targets' device, so only one number crosses to the host (the targets only on failure).
     */
    static void checkTargetValues(Tensor target, long numClasses, long ignoreIndex) {
        if (target.numel() == 0) {
            return;
        }
        try (var g = Autograd.noGrad(); TensorScope temps = TensorScope.openTemporaries()) {
            // bool maximum/minimum are or/and
            Tensor bad = target.lt(0).maximum(target.ge(numClasses)).minimum(target.ne(ignoreIndex));
            if (bad.max().item() == 0) {
                return;
            }
        }
        for (long y : target.contiguous().toLongArray()) {
            if (y != ignoreIndex && (y < 0 || y >= numClasses)) {
                throw new IndexOutOfBoundsException("Target " + y + " is out of bounds.");
            }
        }
    }

}
