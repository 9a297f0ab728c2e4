package dev.kiln.spark.ml;

import dev.kiln.autograd.Autograd;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.Unflatten;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/** What the driver can learn about a built model before scoring: its input width and its output width. */
final class ModelInfo {
    private ModelInfo() {
    }

    /**
     * The number of input features when the model is a {@link Linear}, or a {@link Sequential} whose first layer with
     * parameters is one (an MLP; parameter-free layers before it, such as Flatten or Dropout, keep the width), else
     * 0: unknown (a convolution's input size is not in its weights).
     */
    static int inferNumFeatures(Module model) {
        if (model instanceof Linear l) {
            return Math.toIntExact(l.inFeatures());
        }
        if (model instanceof Sequential s) {
            for (int i = 0; i < s.size(); i++) {
                Module m = s.get(i);
                if (m instanceof Unflatten) {
                    return 0;
                }
                if (!m.parameters().isEmpty()) {
                    return inferNumFeatures(m);
                }
            }
        }
        return 0;
    }

    /** The output width for one row of {@code numFeatures} zeros: {@code [1]} gives 1, {@code [1, k]} gives k. */
    static int outputWidth(Module model, int numFeatures) {
        DType dtype = model.parameters().isEmpty() ? DType.FLOAT32 : model.parameters().get(0).dtype();
        try (TensorScope scope = TensorScope.open(); Autograd.Guard g = Autograd.noGrad()) {
            Tensor out;
            try {
                out = model.forward(Tensor.zeros(dtype, 1, numFeatures));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("the model rejects an input of " + numFeatures + " features (shape "
                        + "[1, " + numFeatures + "]): " + e.getMessage() + ". Check numFeatures and the features column",
                        e);
            }
            if (out.dim() == 1 && out.size(0) == 1) {
                return 1;
            }
            if (out.dim() != 2 || out.size(0) != 1) {
                throw new IllegalArgumentException("the model maps an input of shape [1, " + numFeatures + "] to shape "
                        + java.util.Arrays.toString(out.shape()) + "; scoring rows needs [1] or [1, k]");
            }
            return Math.toIntExact(out.size(1));
        }
    }
}
