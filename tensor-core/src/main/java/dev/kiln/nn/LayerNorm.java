package dev.kiln.nn;

import dev.kiln.nn.functional.Normalization;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;

/**
 * Layer normalization over the trailing {@code normalizedShape} dims, like {@code torch.nn.LayerNorm}:
 * {@code y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta}, statistics per sample (biased variance), with
 * elementwise {@code weight} (ones) and {@code bias} (zeros) of shape {@code normalizedShape} when
 * {@code elementwiseAffine}. Behaves the same in train and eval mode.
 */
public class LayerNorm extends Module {
    private final long[] normalizedShape;
    private final double eps;

    public LayerNorm(long... normalizedShape) {
        this(normalizedShape, 1e-5, true, DType.FLOAT32);
    }

    public LayerNorm(long[] normalizedShape, double eps, boolean elementwiseAffine) {
        this(normalizedShape, eps, elementwiseAffine, DType.FLOAT32);
    }

    public LayerNorm(long[] normalizedShape, double eps, boolean elementwiseAffine, DType dtype) {
        if (normalizedShape.length == 0) {
            throw new IllegalArgumentException("normalized_shape must have at least one dimension");
        }
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        registerParameter("weight", elementwiseAffine ? Tensor.ones(dtype, normalizedShape) : null);
        registerParameter("bias", elementwiseAffine ? Tensor.zeros(dtype, normalizedShape) : null);
    }

    @Override
    public Tensor forward(Tensor input) {
        return Normalization.layerNorm(input, normalizedShape, weight(), bias(), eps);
    }

    public Tensor weight() {
        return parameter("weight");
    }

    public Tensor bias() {
        return parameter("bias");
    }

    @Override
    protected String extraRepr() {
        String shape = normalizedShape.length == 1 ? "(" + normalizedShape[0] + ",)"
                : "(" + Shapes.str(normalizedShape).replaceAll("^\\[|\\]$", "") + ")";
        return shape + ", eps=" + ModuleRepr.pyFloat(eps) + ", elementwise_affine="
                + BatchNorm.py(weight() != null);
    }
}
