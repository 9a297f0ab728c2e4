package dev.kiln.ops.opinfo;

import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.Golden;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Real-PyTorch references for the table's samples. The Java table is the only place samples are defined: the
 * harness writes every sample's inputs, its PyTorch expression and an upstream gradient to a request file
 * ({@link #requests()}), {@code src/test/python/gen_opinfo_torch.py} evaluates them with torch 1.13 in float64
 * (output and vector-Jacobian product) and writes the checked-in golden file, which {@link #check} compares with.
 * The golden file echoes the inputs, so a sample whose inputs changed since the generator ran fails loudly instead of
 * comparing against another input's reference.
 */
final class TorchReferences {
    static final String RESOURCE = "/dev/kiln/ops/opinfo/opinfo_torch.txt";
    static final String GENERATOR = "src/test/python/gen_opinfo_torch.py";
    static final String REQUESTS = "target/opinfo-torch-requests.txt";
    /** Output dtypes as the golden file encodes them. */
    private static final DType[] DTYPE_CODES = {DType.FLOAT64, DType.FLOAT32, DType.INT64, DType.BOOL};

    private static Golden golden;

    private TorchReferences() {
    }

    static synchronized Golden golden() {
        if (golden == null) {
            golden = Golden.load(RESOURCE, GENERATOR);
        }
        return golden;
    }

    /** The request file's text: one record per sample that has a PyTorch expression. */
    static String requests() {
        StringBuilder out = new StringBuilder("# written by OpTorchReferenceTest for " + GENERATOR + "\n");
        OpTable.samples().filter(s -> s.torch() != null).forEach(s -> {
            try (TensorScope scope = TensorScope.open()) {
                List<double[]> drawn = s.draw();
                Tensor y = s.run(s.inputs(drawn, DType.FLOAT64, true));
                out.append("\ncase ").append(s.key()).append("\ntorch ").append(s.torch()).append('\n');
                for (int i = 0; i < s.args().size(); i++) {
                    Arg a = s.args().get(i);
                    out.append("in ").append(i).append(' ').append(a.kindName()).append(' ').append(a.grad() ? 1 : 0)
                            .append(' ').append(csv(a.shape())).append(" :").append(values(a, drawn.get(i))).append('\n');
                }
                if (s.differentiable() && y.dtype().isFloatingPoint()) {
                    out.append("v ").append(csv(y.shape())).append(" :");
                    for (double v : upstream(s, y.numel())) {
                        out.append(' ').append(v);
                    }
                    out.append('\n');
                }
            }
        });
        return out.toString();
    }

    /**
     * Runs {@code s} in {@code dtype} and compares the output, and the gradients of its differentiable arguments
     * for the golden upstream gradient, with PyTorch's float64 results.
     */
    static void check(Sample s, DType dtype) {
        Golden g = golden();
        String k = s.key();
        List<double[]> drawn = s.draw();
        for (int i = 0; i < drawn.size(); i++) {
            if (drawn.get(i) != null && !Arrays.equals(drawn.get(i), g.values(k + "|in" + i))) {
                throw new AssertionError("the inputs of " + k + " changed since " + GENERATOR + " ran; run it again "
                        + "(src/test/python/README.md)");
            }
        }
        List<Tensor> x = s.inputs(drawn, dtype, true);
        Tensor y = s.run(x);
        String what = k + " (" + dtype.torchName() + ")";
        double tol = Checks.tol(dtype) * (dtype.isHalf() ? OpTable.get(s.op()).halfToleranceFactor() : 1);
        DType expected = DTYPE_CODES[(int) g.scalar(k + "|dtype")];
        if (dtype == DType.FLOAT64 && y.dtype() != expected) {
            throw new AssertionError(what + ": result dtype " + y.dtype().torchName() + ", torch gives "
                    + expected.torchName());
        }
        Checks.assertClose(what + " output", y, g.shape(k + "|out"), g.values(k + "|out"), tol);
        if (!s.differentiable() || !y.dtype().isFloatingPoint()) {
            return;
        }
        List<Tensor> diff = new ArrayList<>();
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < x.size(); i++) {
            if (s.args().get(i).grad()) {
                diff.add(x.get(i));
                at.add(i);
            }
        }
        Tensor v = g.tensor(k + "|v", y.dtype());
        List<Tensor> grads = Autograd.grad(List.of(y), diff, List.of(v), false, false);
        for (int j = 0; j < diff.size(); j++) {
            String key = k + "|grad" + at.get(j);
            Tensor got = grads.get(j) != null ? grads.get(j) : Tensor.zeros(diff.get(j).dtype(), diff.get(j).shape());
            Checks.assertClose(what + " gradient of input " + at.get(j), got, g.shape(key), g.values(key),
                    tol);
        }
    }

    /** A seeded standard-normal upstream gradient, float32-representable like the inputs. */
    private static double[] upstream(Sample s, long n) {
        Random r = new Random(s.key().hashCode() * 31L + 7);
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static String values(Arg a, double[] drawn) {
        StringBuilder b = new StringBuilder();
        if (drawn != null) {
            for (double v : drawn) {
                b.append(' ').append(v);
            }
            return b.toString();
        }
        try (TensorScope scope = TensorScope.open()) {
            for (long v : a.tensor(null, DType.FLOAT64, false).to(DType.INT64).toLongArray()) {
                b.append(' ').append(v);
            }
        }
        return b.toString();
    }

    private static String csv(long[] shape) {
        return shape.length == 0 ? "-" : Shapes.str(shape).replaceAll("[\\[\\] ]", "");
    }
}
