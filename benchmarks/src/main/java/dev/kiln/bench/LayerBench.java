package dev.kiln.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.GradientCollector;
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
import java.util.function.Function;

/**
 * Per-layer time of CnnBench's models, Kiln against libtorch (DJL) in the same run: each layer's input is
 * computed once, then the layer alone is sampled alternately with libtorch's same op ({@link Timing#compare}). The
 * per-layer table says where an end-to-end gap comes from (convolution, ReLU, pooling, the linear layers).
 * Inference by default; {@code --train} times each layer's forward and backward instead (input and parameters
 * require grad, except the data going into the first layer; both sides back-propagate {@code (y * g).sum()} for a
 * fixed random {@code g}, so the upstream gradient costs the same multiply on each side).
 *
 * <pre>
 * java ... dev.kiln.bench.LayerBench [--model mnist-cnn|lenet5] [--batch 1000] [--train]
 * </pre>
 */
public final class LayerBench {
    private record Layer(String name, Function<Tensor, Tensor> kiln, Function<NDArray, NDArray> torch) {
    }

    private LayerBench() {
    }

    public static void main(String[] args) {
        String model = "mnist-cnn";
        long batch = 1000;
        boolean train = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = args[++i];
                case "--batch" -> batch = Long.parseLong(args[++i]);
                case "--train" -> train = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; expected --model mnist-cnn|lenet5, --batch N, --train");
            }
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Kiln.numThreads()));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Generator g = new Generator(5);
        try (NDManager m = NDManager.newBaseManager("PyTorch"); TensorScope scope = TensorScope.open();
             var ng = train ? null : Autograd.noGrad()) {
            List<Layer> layers = model.equals("lenet5") ? leNet5(m, g, train) : mnistCnn(m, g, train);
            Tensor x = Tensor.randn(new long[] {batch, 1, 28, 28}, DType.FLOAT32, g);
            NDArray tx = m.create(x.toFloatArray(), new Shape(x.shape()));
            System.out.printf(Locale.ROOT, "LayerBench %s, batch %d, %d threads, %s; ms per call (median)%n", model,
                    batch, Kiln.numThreads(), train ? "forward+backward" : "inference");
            System.out.println("| layer | Kiln ms | libtorch ms | Kiln / libtorch speed |");
            System.out.println("|---|---:|---:|---:|");
            double kt = 0;
            double tt = 0;
            for (Layer l : layers) {
                double[] t = train ? timeTraining(m, l, x, tx, g) : timeInference(m, l, x, tx);
                kt += t[0];
                tt += t[1];
                System.out.printf(Locale.ROOT, "| %s %s | %.2f | %.2f | %.2f |%n", l.name, str(x.shape()),
                        t[0] * 1e3, t[1] * 1e3, t[1] / t[0]);
                try (var noGrad = Autograd.noGrad()) {
                    x = l.kiln.apply(x);
                    tx = l.torch.apply(tx).stopGradient();
                }
            }
            System.out.printf(Locale.ROOT, "| sum | %.2f | %.2f | %.2f |%n", kt * 1e3, tt * 1e3, tt / kt);
        }
    }

    private static double[] timeInference(NDManager m, Layer l, Tensor in, NDArray tin) {
        return Timing.compare(5, 0.3, 0.5, () -> {
            try (TensorScope s = TensorScope.open()) {
                l.kiln.apply(in);
            }
        }, () -> {
            try (NDManager step = m.newSubManager()) {
                NDArray y = l.torch.apply(tin);
                y.attach(step);
            }
        });
    }

    /** Forward and backward of {@code (layer(x) * g).sum()}; {@code x} needs grad unless it is the data (1 channel). */
    private static double[] timeTraining(NDManager m, Layer l, Tensor x, NDArray tx, Generator gen) {
        boolean data = x.dim() == 4 && x.size(1) == 1;
        Tensor in = x.detach().requiresGrad_(!data);
        NDArray tin = tx.duplicate();
        tin.setRequiresGradient(!data);
        Tensor g;
        try (var noGrad = Autograd.noGrad()) {
            g = Tensor.randn(l.kiln.apply(in).shape(), DType.FLOAT32, gen);
        }
        NDArray tg = m.create(g.toFloatArray(), new Shape(g.shape()));
        return Timing.compare(5, 0.3, 0.5, () -> {
            try (TensorScope s = TensorScope.open()) {
                l.kiln.apply(in).mul(g).sum().backward();
            }
        }, () -> {
            try (NDManager step = m.newSubManager();
                 GradientCollector gc = ai.djl.engine.Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray y = l.torch.apply(tin).mul(tg);
                y.attach(step);
                gc.backward(y);
            }
        });
    }

    private static List<Layer> mnistCnn(NDManager m, Generator g, boolean train) {
        List<Layer> l = new ArrayList<>();
        l.add(conv(m, g, train, 1, 32, 2));
        l.add(relu());
        l.add(pool());
        l.add(conv(m, g, train, 32, 64, 2));
        l.add(relu());
        l.add(pool());
        l.add(flatten());
        l.add(linear(m, g, train, 64 * 7 * 7, 128));
        l.add(relu());
        l.add(linear(m, g, train, 128, 10));
        return l;
    }

    private static List<Layer> leNet5(NDManager m, Generator g, boolean train) {
        List<Layer> l = new ArrayList<>();
        l.add(conv(m, g, train, 1, 6, 2));
        l.add(relu());
        l.add(pool());
        l.add(conv(m, g, train, 6, 16, 0));
        l.add(relu());
        l.add(pool());
        l.add(flatten());
        l.add(linear(m, g, train, 400, 120));
        l.add(relu());
        l.add(linear(m, g, train, 120, 84));
        l.add(relu());
        l.add(linear(m, g, train, 84, 10));
        return l;
    }

    private static Layer conv(NDManager m, Generator g, boolean train, long c, long o, long pad) {
        Tensor w = Tensor.randn(new long[] {o, c, 5, 5}, DType.FLOAT32, g).requiresGrad_(train);
        Tensor b = Tensor.randn(new long[] {o}, DType.FLOAT32, g).requiresGrad_(train);
        NDArray tw = parameter(m, w);
        NDArray tb = parameter(m, b);
        long[] one = {1};
        long[] p = {pad};
        return new Layer("conv " + c + "->" + o, x -> F.conv2d(x, w, b, one, p, one, 1),
                x -> Conv2d.conv2d(x, tw, tb, new Shape(1, 1), new Shape(pad, pad), new Shape(1, 1), 1)
                        .singletonOrThrow());
    }

    private static Layer relu() {
        return new Layer("relu", F::relu, Activation::relu);
    }

    private static Layer pool() {
        return new Layer("maxpool2", x -> F.maxPool2d(x, 2),
                x -> Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false));
    }

    private static Layer flatten() {
        return new Layer("flatten", x -> x.reshape(x.size(0), -1), x -> x.reshape(x.getShape().get(0), -1));
    }

    private static Layer linear(NDManager m, Generator g, boolean train, long in, long out) {
        Tensor w = Tensor.randn(new long[] {out, in}, DType.FLOAT32, g).requiresGrad_(train);
        Tensor b = Tensor.randn(new long[] {out}, DType.FLOAT32, g).requiresGrad_(train);
        NDArray tw = parameter(m, w);
        NDArray tb = parameter(m, b);
        return new Layer("linear " + in + "->" + out, x -> F.linear(x, w, b),
                x -> Linear.linear(x, tw, tb).singletonOrThrow());
    }

    /** libtorch's copy of a Kiln parameter, requiring grad when the Kiln one does. */
    private static NDArray parameter(NDManager m, Tensor p) {
        NDArray t = m.create(p.toFloatArray(), new Shape(p.shape()));
        t.setRequiresGradient(p.requiresGrad());
        return t;
    }

    private static String str(long[] shape) {
        return java.util.Arrays.toString(shape).replace(" ", "");
    }
}
