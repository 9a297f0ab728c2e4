package dev.kiln.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.kiln.Kiln;
import dev.kiln.autograd.Autograd;
import dev.kiln.backend.Backend;
import dev.kiln.backend.LinalgKernels;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.functional.F;
import dev.kiln.ops.Linalg;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where the MNIST MLP's inference time goes, op by op, in Kiln and in libtorch (through DJL) measured alternately in
 * one process: the whole eval forward, and per layer the linear op, its GEMM alone (Kiln: the bmm kernel into a
 * preallocated output), the bias add, the ReLU, and (Kiln) an empty tensor's allocation and release. Batch sizes
 * 1, 16, 128 and 1024 show per-op overhead (small) against arithmetic (large). Microseconds per call, medians.
 *
 * <pre>
 * $BENCH dev.kiln.bench.MlpProfile [--quick] [--batches 1,1024] [--no-torch] [--threads N]
 * </pre>
 */
public final class MlpProfile {
    private static final long[] SIZES = {784, 256, 128, 10};
    private static final LinalgKernels LINALG = Backend.of(Device.CPU).linalg();

    private MlpProfile() {
    }

    public static void main(String[] args) {
        boolean quick = false;
        boolean torch = true;
        long[] batches = {1, 16, 128, 1024};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--no-torch" -> torch = false;
                case "--threads" -> Kiln.setNumThreads(Integer.parseInt(args[++i]));
                case "--batches" -> batches = java.util.Arrays.stream(args[++i].split(",")).mapToLong(Long::parseLong)
                        .toArray();
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; expected --quick, --batches B1,B2,..., --no-torch, --threads N");
            }
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Kiln.numThreads()));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.out.printf(Locale.ROOT, "MlpProfile: %d threads; us per call, Kiln | libtorch%n", Kiln.numThreads());
        Kiln.manualSeed(0);
        Sequential model = KilnTrainer.mnistMlp();
        model.eval();
        try (NDManager nd = torch ? NDManager.newBaseManager("PyTorch") : null) {
            for (long batch : batches) {
                profile(model, nd, batch, quick);
            }
        } finally {
            model.close();
        }
    }

    /**
     * One named set of operations timed together: Kiln's, optionally the same in Kiln's separate unfused ops (what
     * Kiln ran before the fusion), and libtorch's (may be null).
     */
    private record Row(String name, Runnable kiln, Runnable separate, Runnable torch) {
        Row(String name, Runnable kiln, Runnable torch) {
            this(name, kiln, null, torch);
        }
    }

    private static void profile(Sequential model, NDManager nd, long batch, boolean quick) {
        List<Row> rows = new ArrayList<>();
        List<AutoCloseable> keep = new ArrayList<>();
        Tensor x = Tensor.randn(new long[] {batch, SIZES[0]}, DType.FLOAT32, new Generator(1));
        keep.add(x);
        NDArray tx = nd == null ? null : nd.create(x.toFloatArray(), new Shape(batch, SIZES[0]));
        NDArray[] tw = new NDArray[3];
        NDArray[] tb = new NDArray[3];
        for (int l = 0; l < 3; l++) {
            Linear lin = (Linear) model.get(2 * l);
            if (nd != null) {
                tw[l] = nd.create(lin.weight().toFloatArray(), new Shape(SIZES[l + 1], SIZES[l]));
                tb[l] = nd.create(lin.bias().toFloatArray(), new Shape(SIZES[l + 1]));
            }
        }
        rows.add(new Row("forward (eval, no_grad)", () -> {
            try (TensorScope s = TensorScope.open(); var g = Autograd.noGrad()) {
                model.forward(x).getDouble(0);
            }
        }, () -> {
            try (TensorScope s = TensorScope.open(); var g = Autograd.noGrad()) {
                Tensor h = x;
                for (int l = 0; l < 3; l++) {
                    Linear lin = (Linear) model.get(2 * l);
                    h = h.matmul(lin.weight().t()).add(lin.bias());
                    h = l < 2 ? h.relu() : h;
                }
                h.getDouble(0);
            }
        }, nd == null ? null : () -> {
            NDArray h1 = ai.djl.nn.core.Linear.linear(tx, tw[0], tb[0]).singletonOrThrow();
            NDArray r1 = Activation.relu(h1);
            NDArray h2 = ai.djl.nn.core.Linear.linear(r1, tw[1], tb[1]).singletonOrThrow();
            NDArray r2 = Activation.relu(h2);
            NDArray h3 = ai.djl.nn.core.Linear.linear(r2, tw[2], tb[2]).singletonOrThrow();
            h3.getFloat(0, 0);
            for (NDArray a : new NDArray[] {h1, r1, h2, r2, h3}) {
                a.close();
            }
        }));
        for (int l = 0; l < 3; l++) {
            Linear lin = (Linear) model.get(2 * l);
            Tensor in = Tensor.randn(new long[] {batch, SIZES[l]}, DType.FLOAT32, new Generator(2 + l));
            Tensor y = Tensor.randn(new long[] {batch, SIZES[l + 1]}, DType.FLOAT32, new Generator(5 + l));
            Tensor out3 = Tensor.empty(DType.FLOAT32, 1, batch, SIZES[l + 1]);
            Tensor in3 = in.unsqueeze(0);
            Tensor wt3 = lin.weight().t().unsqueeze(0);
            keep.addAll(List.of(in, y, out3, in3, wt3));
            NDArray ti = nd == null ? null : nd.create(in.toFloatArray(), new Shape(batch, SIZES[l]));
            NDArray ty = nd == null ? null : nd.create(y.toFloatArray(), new Shape(batch, SIZES[l + 1]));
            NDArray twt = nd == null ? null : tw[l].transpose();
            int layer = l;
            String p = "L" + (l + 1) + " " + SIZES[l] + "->" + SIZES[l + 1] + " ";
            rows.add(new Row(p + "linear", () -> {
                try (var g = Autograd.noGrad()) {
                    F.linear(in, lin.weight(), lin.bias()).close();
                }
            }, nd == null ? null : () -> ai.djl.nn.core.Linear.linear(ti, tw[layer], tb[layer]).singletonOrThrow().close()));
            if (l < 2) {
                rows.add(new Row(p + "linear+relu (Sequential's fused op)", () -> {
                    try (var g = Autograd.noGrad()) {
                        Linalg.linearRelu(in, lin.weight(), lin.bias()).close();
                    }
                }, nd == null ? null : () -> {
                    NDArray h = ai.djl.nn.core.Linear.linear(ti, tw[layer], tb[layer]).singletonOrThrow();
                    Activation.relu(h).close();
                    h.close();
                }));
            }
            rows.add(new Row(p + "matmul x@W^T", () -> {
                try (var g = Autograd.noGrad()) {
                    in.matmul(lin.weight().t()).close();
                }
            }, nd == null ? null : () -> ti.matMul(twt).close()));
            rows.add(new Row(p + "GEMM kernel only", () -> LINALG.bmm(in3.arg(), wt3.arg(), out3.arg()), null));
            rows.add(new Row(p + "bias add", () -> {
                try (var g = Autograd.noGrad()) {
                    y.add(lin.bias()).close();
                }
            }, nd == null ? null : () -> ty.add(tb[layer]).close()));
            if (l < 2) {
                rows.add(new Row(p + "relu", () -> {
                    try (var g = Autograd.noGrad()) {
                        y.relu().close();
                    }
                }, nd == null ? null : () -> Activation.relu(ty).close()));
            }
            rows.add(new Row(p + "empty alloc+close", () -> Tensor.empty(DType.FLOAT32, batch, SIZES[layer + 1]).close(),
                    null));
        }
        int samples = quick ? 3 : 5;
        double min = quick ? 0.05 : 0.2;
        double warm = quick ? 0.2 : 0.6;
        System.out.printf(Locale.ROOT, "%nbatch %d%n| op | Kiln us | Kiln separate ops us | libtorch us "
                + "| Kiln / libtorch time |%n|---|---:|---:|---:|---:|%n", batch);
        for (Row r : rows) {
            List<Runnable> ops = new ArrayList<>(List.of(r.kiln()));
            if (r.separate() != null) {
                ops.add(r.separate());
            }
            if (r.torch() != null) {
                ops.add(r.torch());
            }
            double[] t = Timing.compare(samples, min, warm, ops.toArray(new Runnable[0]));
            String sep = r.separate() == null ? "" : String.format(Locale.ROOT, "%.1f", t[1] * 1e6);
            double torchT = r.torch() == null ? Double.NaN : t[t.length - 1];
            System.out.printf(Locale.ROOT, "| %s | %.1f | %s | %s | %s |%n", r.name(), t[0] * 1e6, sep,
                    r.torch() == null ? "" : String.format(Locale.ROOT, "%.1f", torchT * 1e6),
                    r.torch() == null ? "" : String.format(Locale.ROOT, "%.2f", t[0] / torchT));
        }
        for (AutoCloseable c : keep) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
