package dev.kiln.nn;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/**
 * Batch normalization over {@code [N, C, H, W]} inputs, like {@code torch.nn.BatchNorm2d}; statistics per channel
 * {@code C}. See {@link BatchNorm} for the state and the train/eval behaviour.
 */
public class BatchNorm2d extends BatchNorm {
    /** PyTorch's defaults: {@code eps=1e-5, momentum=0.1, affine=True, track_running_stats=True}. */
    public BatchNorm2d(long numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true, DType.FLOAT32);
    }

    /** @param momentum null for a cumulative moving average of the batch statistics */
    public BatchNorm2d(long numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        this(numFeatures, eps, momentum, affine, trackRunningStats, DType.FLOAT32);
    }

    public BatchNorm2d(long numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats,
                       DType dtype) {
        super(numFeatures, eps, momentum, affine, trackRunningStats, dtype);
    }

    @Override
    protected void checkInputDim(Tensor input) {
        if (input.dim() != 4) {
            throw new IllegalArgumentException("expected 4D input (got " + input.dim() + "D input)");
        }
    }
}
