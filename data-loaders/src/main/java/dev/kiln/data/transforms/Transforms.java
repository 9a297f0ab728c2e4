package dev.kiln.data.transforms;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/** Ready-made batch transforms, named after torchvision's and {@code torch.nn.functional}'s. */
public final class Transforms {
    private Transforms() {
    }

    /**
     * {@code y[..., j] = (x[..., j] - mean[j]) / std[j]}, like {@code torchvision.transforms.Normalize} but over the
     * last (feature) dimension; a single mean/std applies to every feature. Result float32.
     */
    public static Transform normalize(double[] mean, double[] std) {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("normalize: mean and std must be non-empty and the same length, got "
                    + mean.length + " and " + std.length);
        }
        for (int j = 0; j < std.length; j++) {
            if (!(std[j] > 0) || !Double.isFinite(std[j]) || !Double.isFinite(mean[j])) {
                throw new IllegalArgumentException("normalize: std evaluated to zero or negative (or a mean/std is not"
                        + " finite) at feature " + j + ": mean " + mean[j] + ", std " + std[j]);
            }
        }
        float[] m = new float[mean.length];
        float[] inv = new float[std.length];
        for (int j = 0; j < m.length; j++) {
            m[j] = (float) mean[j];
            inv[j] = (float) (1.0 / std[j]);
        }
        return x -> {
            long k = x.dim() == 0 ? 1 : x.size(x.dim() - 1);
            if (m.length != 1 && m.length != k) {
                throw new IllegalArgumentException("normalize: " + m.length + " means/stds for a tensor of shape "
                        + java.util.Arrays.toString(x.shape()) + " whose last dimension is " + k);
            }
            try (TensorScope scope = TensorScope.open()) {
                Tensor y = x.to(DType.FLOAT32).sub(Tensor.of(m)).mul(Tensor.of(inv));
                return TensorScope.keep(y);
            }
        };
    }

    /** Same mean and std for every feature, like {@code Normalize((0.1307,), (0.3081,))} for MNIST. */
    public static Transform normalize(double mean, double std) {
        return normalize(new double[] {mean}, new double[] {std});
    }

    /**
     * Class indices {@code [batch]} to one-hot float32 {@code [batch, numClasses]}, like
     * {@code F.one_hot(y, num_classes).float()}; indices outside {@code [0, numClasses)} fail with PyTorch's error.
     */
    public static Transform oneHot(int numClasses) {
        if (numClasses <= 0) {
            throw new IllegalArgumentException("oneHot: numClasses must be positive, got " + numClasses);
        }
        return y -> {
            try (TensorScope scope = TensorScope.open()) {
                return TensorScope.keep(Tensor.oneHot(y, numClasses).to(DType.FLOAT32));
            }
        };
    }

    /** Scales bytes-valued (0..255) features to [0, 1] float32, like {@code ToTensor()}. */
    public static Transform scaleToUnit() {
        return x -> {
            try (TensorScope scope = TensorScope.open()) {
                return TensorScope.keep(x.to(DType.FLOAT32).div(255.0));
            }
        };
    }
}
