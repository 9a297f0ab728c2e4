package dev.kiln.nn;

import dev.kiln.nn.init.Init;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/**
 * {@code y_o = x1^T A_o x2 + b_o}, like {@code torch.nn.Bilinear}: weight {@code [out, in1, in2]}, bias
 * {@code [out]}, both initialised {@code U(-1/sqrt(in1), 1/sqrt(in1))} as PyTorch's {@code reset_parameters}.
 * Computed as one matmul ({@code x1 [B, in1] @ A viewed as [in1, out*in2]}) followed by a product with
 * {@code x2} and a sum, so autograd gives the gradients.
 */
public class Bilinear extends Module {
    private final long in1;
    private final long in2;
    private final long out;

    public Bilinear(long in1Features, long in2Features, long outFeatures) {
        this(in1Features, in2Features, outFeatures, true);
    }

    public Bilinear(long in1Features, long in2Features, long outFeatures, boolean bias) {
        this.in1 = in1Features;
        this.in2 = in2Features;
        this.out = outFeatures;
        registerParameter("weight", Tensor.empty(DType.FLOAT32, outFeatures, in1Features, in2Features));
        registerParameter("bias", bias ? Tensor.empty(DType.FLOAT32, outFeatures) : null);
        resetParameters(Generator.defaultGenerator());
    }

    public void resetParameters(Generator gen) {
        double bound = 1 / Math.sqrt(in1);
        Init.uniform_(parameter("weight"), -bound, bound, gen);
        if (parameter("bias") != null) {
            Init.uniform_(parameter("bias"), -bound, bound, gen);
        }
    }

    /** {@code forward(x1, x2)} with {@code x1 [..., in1]} and {@code x2 [..., in2]} sharing leading dims. */
    public Tensor forward(Tensor x1, Tensor x2) {
        if (x1.size(-1) != in1 || x2.size(-1) != in2 || x1.dim() != x2.dim()) {
            throw new IllegalArgumentException("Bilinear(in1_features=" + in1 + ", in2_features=" + in2
                    + ") got inputs of shape " + Shapes.str(x1.shape()) + " and " + Shapes.str(x2.shape()));
        }
        long[] lead = java.util.Arrays.copyOf(x1.shape(), x1.dim() - 1);
        long rows = Shapes.numel(lead);
        try (TensorScope temps = TensorScope.openTemporaries()) {
            Tensor a = parameter("weight").permute(1, 0, 2).reshape(in1, out * in2);
            Tensor t = x1.reshape(rows, in1).matmul(a).view(rows, out, in2);   // [B, out, in2]
            Tensor y = t.mul(x2.reshape(rows, 1, in2)).sum(-1);                 // [B, out]
            if (parameter("bias") != null) {
                y = y.add(parameter("bias"));
            }
            long[] shape = java.util.Arrays.copyOf(lead, lead.length + 1);
            shape[lead.length] = out;
            return temps.handOut(y.reshape(shape));
        }
    }

    @Override
    protected String extraRepr() {
        return "in1_features=" + in1 + ", in2_features=" + in2 + ", out_features=" + out + ", bias="
                + (parameter("bias") != null ? "True" : "False");
    }
}
