package dev.kiln.nn;

import dev.kiln.nn.functional.Normalization;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/**
 * Group normalization, like {@code torch.nn.GroupNorm} (Wu & He 2018): the {@code C} channels of
 * {@code x [N, C, *]} split into {@code numGroups} groups, each sample's group normalized by its own mean and
 * biased variance, then a per-channel affine {@code weight} (ones) and {@code bias} (zeros) when {@code affine}.
 * Independent of the batch, so train and eval behave the same.
 */
public class GroupNorm extends Module {
    private final long numGroups;
    private final long numChannels;
    private final double eps;

    public GroupNorm(long numGroups, long numChannels) {
        this(numGroups, numChannels, 1e-5, true, DType.FLOAT32);
    }

    public GroupNorm(long numGroups, long numChannels, double eps, boolean affine, DType dtype) {
        if (numGroups <= 0 || numChannels % numGroups != 0) {
            throw new IllegalArgumentException("num_channels must be divisible by num_groups");
        }
        this.numGroups = numGroups;
        this.numChannels = numChannels;
        this.eps = eps;
        registerParameter("weight", affine ? Tensor.ones(dtype, numChannels) : null);
        registerParameter("bias", affine ? Tensor.zeros(dtype, numChannels) : null);
    }

    @Override
    public Tensor forward(Tensor input) {
        if (input.dim() < 2 || input.size(1) != numChannels) {
            throw new IllegalArgumentException("GroupNorm(" + numGroups + ", " + numChannels + ") expected input of "
                    + "shape [N, " + numChannels + ", *], got " + dev.kiln.tensor.Shapes.str(input.shape()));
        }
        return Normalization.groupNorm(input, numGroups, weight(), bias(), eps);
    }

    public Tensor weight() {
        return parameter("weight");
    }

    public Tensor bias() {
        return parameter("bias");
    }

    @Override
    protected String extraRepr() {
        return numGroups + ", " + numChannels + ", eps=" + ModuleRepr.pyFloat(eps) + ", affine="
                + BatchNorm.py(weight() != null);
    }
}
