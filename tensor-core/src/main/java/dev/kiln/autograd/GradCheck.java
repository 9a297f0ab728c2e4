package dev.kiln.autograd;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Compares autograd's gradients with central finite differences, like {@code torch.autograd.gradcheck}, in
 * float64. To keep it cheap for non-scalar outputs it checks the vector-Jacobian product {@code v^T J} for a
 * random {@code v} (one backward pass) against {@code v^T (f(x + eps e_i) - f(x - eps e_i)) / 2 eps} for every
 * input element {@code i} — a failure in any Jacobian entry shows up with probability 1.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /** Thrown with the first mismatching element, its analytic and numeric values. */
    public static final class GradCheckError extends AssertionError {
        GradCheckError(String message) {
            super(message);
        }
    }

    public static void check(Function<List<Tensor>, Tensor> f, List<Tensor> inputs) {
        check(f, inputs, 1e-6, 1e-5, 1e-3);
    }

    /**
     * @param inputs float64 leaves; those with {@code requiresGrad()} are checked
     */
    public static void check(Function<List<Tensor>, Tensor> f, List<Tensor> inputs, double eps, double atol,
                             double rtol) {
        for (Tensor in : inputs) {
            if (in.requiresGrad() && in.dtype() != DType.FLOAT64) {
                throw new IllegalArgumentException("gradcheck needs float64 inputs, got " + in.dtype().torchName());
            }
        }
        try (TensorScope scope = TensorScope.openTemporaries()) {
            Tensor out = f.apply(inputs);
            Tensor v = Tensor.randn(out.shape(), DType.FLOAT64, new Generator(1234));
            List<Tensor> diff = new ArrayList<>();
            for (Tensor in : inputs) {
                if (in.requiresGrad()) {
                    diff.add(in);
                }
            }
            if (!out.requiresGrad()) {
                throw new GradCheckError("output does not require grad: the op recorded no graph");
            }
            List<Tensor> analytic = Engine.grad(List.of(out), diff, List.of(v), false, false);
            for (int k = 0; k < diff.size(); k++) {
                Tensor x = diff.get(k);
                Tensor a = analytic.get(k);
                double[] numeric = numericVjp(f, inputs, x, v, eps);
                double[] got = a == null ? new double[numeric.length] : a.contiguous().toDoubleArray();
                for (int i = 0; i < numeric.length; i++) {
                    if (Math.abs(got[i] - numeric[i]) > atol + rtol * Math.abs(numeric[i])) {
                        throw new GradCheckError("Jacobian mismatch for input " + inputs.indexOf(x) + " (shape "
                                + Shapes.str(x.shape()) + ") at flat element " + i + ": analytic " + got[i]
                                + ", numerical " + numeric[i]);
                    }
                }
            }
        }
    }

    private static double[] numericVjp(Function<List<Tensor>, Tensor> f, List<Tensor> inputs, Tensor x, Tensor v,
                                       double eps) {
        long[] shape = x.shape();
        int n = Math.toIntExact(x.numel());
        double[] result = new double[n];
        long[] index = new long[shape.length];
        try (var g = Autograd.noGrad()) {
            for (int i = 0; i < n; i++) {
                double orig = x.get(index);
                x.set(orig + eps, index);
                double plus = dot(f.apply(inputs), v);
                x.set(orig - eps, index);
                double minus = dot(f.apply(inputs), v);
                x.set(orig, index);
                result[i] = (plus - minus) / (2 * eps);
                increment(index, shape);
            }
        }
        return result;
    }

    private static double dot(Tensor out, Tensor v) {
        double[] a = out.contiguous().toDoubleArray();
        double[] b = v.toDoubleArray();
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void increment(long[] index, long[] shape) {
        for (int d = shape.length - 1; d >= 0; d--) {
            if (++index[d] < shape[d]) {
                return;
            }
            index[d] = 0;
        }
    }
}
