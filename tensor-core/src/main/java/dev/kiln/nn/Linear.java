package dev.kiln.nn;

import dev.kiln.nn.functional.F;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;

/**
 * {@code y = x W^T + b}, like {@code torch.nn.Linear}: weight {@code [out_features, in_features]}, bias
 * {@code [out_features]}.
 *
 * <p>Initialization is PyTorch's {@code reset_parameters()}: {@code kaiming_uniform_(W, a=sqrt(5))}, which works
 * out to {@code W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))}, and {@code b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))},
 * drawn from the default generator (seed it with {@code Kiln.manualSeed}).
 */
public class Linear extends Module {
    private final long inFeatures;
    private final long outFeatures;

    public Linear(long inFeatures, long outFeatures) {
        this(inFeatures, outFeatures, true, DType.FLOAT32);
    }

    public Linear(long inFeatures, long outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, DType.FLOAT32);
    }

    public Linear(long inFeatures, long outFeatures, boolean bias, DType dtype) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        registerParameter("weight", Tensor.empty(dtype, outFeatures, inFeatures));
        registerParameter("bias", bias ? Tensor.empty(dtype, outFeatures) : null);
        resetParameters(Generator.defaultGenerator());
    }

    /** Re-draws weight and bias with PyTorch's default scheme from {@code gen}. */
    public void resetParameters(Generator gen) {
        Init.kaimingUniform_(weight(), Math.sqrt(5), Init.FanMode.FAN_IN, "leaky_relu", gen);
        Tensor bias = bias();
        if (bias != null) {
            double bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
            Init.uniform_(bias, -bound, bound, gen);
        }
    }

    @Override
    public Tensor forward(Tensor input) {
        return F.linear(input, weight(), bias());
    }

    public Tensor weight() {
        return parameter("weight");
    }

    /** The bias, or null when built with {@code bias=false}. */
    public Tensor bias() {
        return parameter("bias");
    }

    public long inFeatures() {
        return inFeatures;
    }

    public long outFeatures() {
        return outFeatures;
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias() != null ? "True" : "False");
    }
}
