package dev.kiln.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.kiln.Kiln;
import dev.kiln.autograd.Autograd;
import dev.kiln.nn.functional.F;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One conv2d layer (float32, no grad), Kiln's im2col + GEMM path against its oneDNN direct path in each layout
 * policy ({@code -Dkiln.dnnl.conv}, switched per call), and libtorch's {@code conv2d} through DJL, all sampled
 * alternately in one run. Layers: the two convolutions of MnistCnn and of LeNet-5 at CnnBench's inference batch
 * (1000) and training batch (128); {@code --train} times forward + backward instead (Kiln only).
 *
 * <pre>
 * java ... dev.kiln.bench.DirectConvBench [--batch 1000] [--layouts off,any/any/any,plain/any/plain] [--no-torch]
 *     [--train]
 * </pre>
 */
public final class DirectConvBench {
    private record Layer(String name, long c, long hw, long o, long k, long pad) {
    }

    private static final List<Layer> LAYERS = List.of(
            new Layer("mnist-cnn conv1", 1, 28, 32, 5, 2), new Layer("mnist-cnn conv2", 32, 14, 64, 5, 2),
            new Layer("lenet5 conv1", 1, 28, 6, 5, 2), new Layer("lenet5 conv2", 6, 14, 16, 5, 0));

    private DirectConvBench() {
    }

    public static void main(String[] args) {
        long batch = 1000;
        // plain/plain/plain is left out: oneDNN's reference kernel runs it, 50-100x slower than im2col
        String layouts = "off,any/any/any,plain/any/plain,nhwc/any/nhwc";
        boolean torch = true;
        boolean train = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--train" -> train = true;
                case "--batch" -> batch = Long.parseLong(args[++i]);
                case "--layouts" -> layouts = args[++i];
                case "--no-torch" -> torch = false;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Kiln.numThreads()));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.out.printf(Locale.ROOT, "DirectConvBench: batch %d, %d threads, %s; ms per call (median)%n", batch,
                Kiln.numThreads(), train ? "forward + backward (no libtorch)" : "forward, no grad");
        if (train) {
            torch = false;
        }
        String[] policies = layouts.split(",");
        StringBuilder header = new StringBuilder("| layer |");
        for (String p : policies) {
            header.append(' ').append(p.equals("off") ? "im2col+GEMM" : "oneDNN " + p).append(" |");
        }
        System.out.println(header + (torch ? " libtorch |" : ""));
        for (Layer l : LAYERS) {
            System.out.println(row(l, batch, policies, torch, train));
        }
    }

    private static String row(Layer l, long n, String[] policies, boolean torch, boolean train) {
        Generator gen = new Generator(1);
        long[] one = {1};
        long[] pad = {l.pad};
        try (TensorScope scope = TensorScope.open();
             Tensor x = Tensor.randn(new long[] {n, l.c, l.hw, l.hw}, DType.FLOAT32, gen);
             Tensor w = Tensor.randn(new long[] {l.o, l.c, l.k, l.k}, DType.FLOAT32, gen);
             Tensor b = Tensor.randn(new long[] {l.o}, DType.FLOAT32, gen);
             NDManager m = torch ? NDManager.newBaseManager("PyTorch") : null) {
            List<Runnable> ops = new ArrayList<>();
            if (train) {
                x.requiresGrad_(l.c > 1); // as in the models: the first layer's input needs no gradient
                w.requiresGrad_(true);
                b.requiresGrad_(true);
            }
            Tensor g = Tensor.randn(new long[] {n, l.o, l.hw + 2 * l.pad - l.k + 1, l.hw + 2 * l.pad - l.k + 1},
                    DType.FLOAT32, new Generator(2));
            for (String p : policies) {
                ops.add(() -> {
                    System.setProperty("kiln.dnnl.conv", p);
                    if (train) {
                        try (TensorScope s = TensorScope.open()) {
                            F.conv2d(x, w, b, one, pad, one, 1).backward(g);
                            for (Tensor t : List.of(x, w, b)) {
                                if (t.grad() != null) {
                                    t.grad().close();
                                    t.setGrad(null);
                                }
                            }
                        }
                        return;
                    }
                    try (TensorScope s = TensorScope.open(); var ng = Autograd.noGrad()) {
                        F.conv2d(x, w, b, one, pad, one, 1);
                    }
                });
            }
            if (torch) {
                NDArray tx = m.create(x.toFloatArray(), new Shape(x.shape()));
                NDArray tw = m.create(w.toFloatArray(), new Shape(w.shape()));
                NDArray tb = m.create(b.toFloatArray(), new Shape(b.shape()));
                ops.add(() -> {
                    try (NDManager step = m.newSubManager()) {
                        NDArray y = ai.djl.nn.convolutional.Conv2d.conv2d(tx, tw, tb, new Shape(1, 1),
                                new Shape(l.pad, l.pad), new Shape(1, 1), 1).singletonOrThrow();
                        y.attach(step);
                        y.getFloat(0, 0, 0, 0);
                    }
                });
            }
            double[] t = Timing.compare(5, 0.5, 1.0, ops.toArray(new Runnable[0]));
            System.clearProperty("kiln.dnnl.conv");
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "| %s [%d,%d,%d,%d]->%d %dx%d pad %d |",
                    l.name, n, l.c, l.hw, l.hw, l.o, l.k, l.k, l.pad));
            for (double s : t) {
                sb.append(String.format(Locale.ROOT, " %.2f |", s * 1e3));
            }
            return sb.toString();
        }
    }
}
