package dev.kiln.nn.init;

import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/**
 * In-place parameter initializers, like {@code torch.nn.init}. Each writes under {@code noGrad} (so parameters
 * that require grad can be filled) and frees its temporaries; each has an overload taking a {@link Generator}
 * (default: the process generator seeded by {@code Kiln.manualSeed}). Formulas follow {@code torch/nn/init.py}.
 */
public final class Init {
    private Init() {
    }

    /** Which fan a Kaiming initializer normalizes by: {@code fan_in} preserves forward variance, {@code fan_out} backward. */
    public enum FanMode { FAN_IN, FAN_OUT }

    /** {@code t ~ U(a, b)}. */
    public static Tensor uniform_(Tensor t, double a, double b, Generator gen) {
        try (var g = Autograd.noGrad(); var s = TensorScope.openTemporaries()) {
            Tensor u = Tensor.rand(t.shape(), floating(t), gen);
            t.copy_(u.mul(b - a).add(a));
        }
        return t;
    }

    public static Tensor uniform_(Tensor t, double a, double b) {
        return uniform_(t, a, b, Generator.defaultGenerator());
    }

    /** {@code t ~ N(mean, std^2)}. */
    public static Tensor normal_(Tensor t, double mean, double std, Generator gen) {
        try (var g = Autograd.noGrad(); var s = TensorScope.openTemporaries()) {
            Tensor n = Tensor.randn(t.shape(), floating(t), gen);
            t.copy_(n.mul(std).add(mean));
        }
        return t;
    }

    public static Tensor normal_(Tensor t, double mean, double std) {
        return normal_(t, mean, std, Generator.defaultGenerator());
    }

    public static Tensor constant_(Tensor t, double value) {
        try (var g = Autograd.noGrad()) {
            return t.fill_(value);
        }
    }

    public static Tensor zeros_(Tensor t) {
        return constant_(t, 0);
    }

    public static Tensor ones_(Tensor t) {
        return constant_(t, 1);
    }

    /**
     * Xavier/Glorot uniform: {@code U(-a, a)} with {@code a = gain * sqrt(6 / (fan_in + fan_out))}
     * (Glorot & Bengio 2010).
     */
    public static Tensor xavierUniform_(Tensor t, double gain, Generator gen) {
        long[] fans = fans(t);
        double a = gain * Math.sqrt(6.0 / (fans[0] + fans[1]));
        return uniform_(t, -a, a, gen);
    }

    public static Tensor xavierUniform_(Tensor t) {
        return xavierUniform_(t, 1.0, Generator.defaultGenerator());
    }

    /** Xavier/Glorot normal: {@code N(0, std^2)} with {@code std = gain * sqrt(2 / (fan_in + fan_out))}. */
    public static Tensor xavierNormal_(Tensor t, double gain, Generator gen) {
        long[] fans = fans(t);
        return normal_(t, 0, gain * Math.sqrt(2.0 / (fans[0] + fans[1])), gen);
    }

    public static Tensor xavierNormal_(Tensor t) {
        return xavierNormal_(t, 1.0, Generator.defaultGenerator());
    }

    /**
     * Kaiming/He uniform: {@code U(-b, b)} with {@code b = gain * sqrt(3 / fan)}, {@code gain =
     * calculateGain(nonlinearity, a)} (He et al. 2015). {@code nn.Linear}'s default is {@code a = sqrt(5)},
     * leaky_relu, fan_in, which gives {@code b = 1 / sqrt(fan_in)}.
     */
    public static Tensor kaimingUniform_(Tensor t, double a, FanMode mode, String nonlinearity, Generator gen) {
        double std = calculateGain(nonlinearity, a) / Math.sqrt(fan(t, mode));
        double bound = Math.sqrt(3.0) * std;
        return uniform_(t, -bound, bound, gen);
    }

    /** PyTorch's defaults: {@code a = 0}, fan_in, leaky_relu (so gain sqrt(2)). */
    public static Tensor kaimingUniform_(Tensor t) {
        return kaimingUniform_(t, 0, FanMode.FAN_IN, "leaky_relu", Generator.defaultGenerator());
    }

    /** Kaiming/He normal: {@code N(0, std^2)} with {@code std = gain / sqrt(fan)}. */
    public static Tensor kaimingNormal_(Tensor t, double a, FanMode mode, String nonlinearity, Generator gen) {
        return normal_(t, 0, calculateGain(nonlinearity, a) / Math.sqrt(fan(t, mode)), gen);
    }

    public static Tensor kaimingNormal_(Tensor t) {
        return kaimingNormal_(t, 0, FanMode.FAN_IN, "leaky_relu", Generator.defaultGenerator());
    }

    /**
     * The recommended gain for a nonlinearity, like {@code torch.nn.init.calculate_gain}: 1 for linear, conv and
     * sigmoid; 5/3 for tanh; sqrt(2) for relu; {@code sqrt(2 / (1 + slope^2))} for leaky_relu (slope
     * {@code param}, PyTorch passes 0.01 when none is given; here {@code a = 0} from the Kaiming defaults is used
     * as given, as {@code kaiming_*_} does); 3/4 for selu.
     */
    public static double calculateGain(String nonlinearity, double param) {
        return switch (nonlinearity) {
            case "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                 "sigmoid" -> 1.0;
            case "tanh" -> 5.0 / 3.0;
            case "relu" -> Math.sqrt(2.0);
            case "leaky_relu" -> Math.sqrt(2.0 / (1 + param * param));
            case "selu" -> 3.0 / 4.0;
            default -> throw new IllegalArgumentException("Unsupported nonlinearity " + nonlinearity);
        };
    }

    /**
     * {@code [fan_in, fan_out]}: {@code size(1) * receptive} and {@code size(0) * receptive}, where receptive is
     * the product of dims after the first two (1 for a Linear weight).
     */
    public static long[] fans(Tensor t) {
        if (t.dim() < 2) {
            throw new IllegalArgumentException("Fan in and fan out can not be computed for tensor with fewer than 2 "
                    + "dimensions");
        }
        long receptive = 1;
        for (int i = 2; i < t.dim(); i++) {
            receptive *= t.size(i);
        }
        return new long[] {t.size(1) * receptive, t.size(0) * receptive};
    }

    private static long fan(Tensor t, FanMode mode) {
        long[] f = fans(t);
        long fan = mode == FanMode.FAN_IN ? f[0] : f[1];
        if (fan == 0) {
            throw new IllegalArgumentException("Initializing zero-element tensors is a no-op");
        }
        return fan;
    }

    private static DType floating(Tensor t) {
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("init expects a floating point tensor, got " + t.dtype().torchName());
        }
        return t.dtype();
    }
}
