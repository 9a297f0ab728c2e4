package dev.kiln.examples.tour;

import dev.kiln.Kiln;
import dev.kiln.autograd.Autograd;
import dev.kiln.checkpoint.Safetensors;
import dev.kiln.data.Batch;
import dev.kiln.data.DataLoader;
import dev.kiln.data.TensorDataset;
import dev.kiln.distributed.ReduceOp;
import dev.kiln.distributed.TcpOptions;
import dev.kiln.distributed.TcpProcessGroup;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MSELoss;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.Sigmoid;
import dev.kiln.optim.SGD;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Sections 5-8 of the {@link Tour}: modules, a hand-checked step, the training loop, all-reduce. */
final class TrainingTour {
    private TrainingTour() {
    }

    /** The tutorial's {@code NeuralNetwork(nn.Module)}: named submodules give PyTorch's state-dict keys. */
    static final class NeuralNetwork extends Module {
        private final Flatten flatten = registerModule("flatten", new Flatten());
        private final Sequential linearReluStack = registerModule("linear_relu_stack", new Sequential(
                new Linear(28 * 28, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10)));

        @Override
        public Tensor forward(Tensor x) {
            return linearReluStack.forward(flatten.forward(x));
        }
    }

    static void modules(Tour t) {
        Sequential net = new Sequential(new Conv2d(3, 16, 3), new Conv2d(16, 32, 3));
        net.namedParameters().forEach((name, p) -> t.show(name + ".requiresGrad()", p.requiresGrad()));
        Tensor input = Tensor.randn(8, 3, 50, 100);
        t.show("input.requiresGrad()", input.requiresGrad());
        Tensor out = net.forward(input);
        t.recordShape("convOut", "net.forward(input).shape()", (out.shape()));
        t.show("net.forward(input).requiresGrad()", out.requiresGrad());
        net.parameters().forEach(p -> p.requiresGrad_(false));
        t.recordFlag("frozen", "after p.requiresGrad_(false) for all: output.requiresGrad()",
                net.forward(input).requiresGrad());

        NeuralNetwork model = new NeuralNetwork();
        t.show("new NeuralNetwork()", model);
        long count = 0;
        for (var e : model.namedParameters().entrySet()) {
            t.show("  " + e.getKey(), Tour.shape(e.getValue().shape()));
            count += e.getValue().numel();
        }
        t.record("paramCount", "parameters", count);

        Sequential simple = new Sequential(new Linear(10, 20), new ReLU(), new Linear(20, 1));
        t.recordShape("simpleOut", "SimpleNet.forward(Tensor.randn(5, 10)).shape()",
                simple.forward(Tensor.randn(5, 10)).shape());
        Linear layer = new Linear(32, 64);
        t.recordShape("linearWeight", "new Linear(32, 64): weight shape", (layer.weight().shape()));
        t.recordShape("linearBias", "new Linear(32, 64): bias shape", (layer.bias().shape()));
        for (Module m : List.of(net, model, simple, layer)) {
            m.close();
        }
    }

    /** The tutorial's {@code Simple}: two 3x3 convolutions (padding 1) and a linear layer, no biases. */
    static final class Simple extends Module {
        final Conv2d conv1 = registerModule("conv1", conv(3, 16));
        final Conv2d conv2 = registerModule("conv2", conv(16, 32));
        final Linear linear = registerModule("linear", new Linear(32 * 10 * 10, 20, false));

        private static Conv2d conv(long in, long out) {
            long[] three = {3, 3};
            long[] one = {1, 1};
            return new Conv2d(in, out, three, one, one, one, 1, false);
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = conv2.forward(conv1.forward(x));
            // NOTE: the tutorial's h.view(h.size(0), -1); Kiln's convolution output is NCHW-shaped but not laid out
            // contiguously (strides [100, 800, 10, 1]), so view refuses and reshape copies.
            return linear.forward(h.reshape(h.size(0), -1));
        }
    }

    static void handChecked(Tour t) {
        try (Simple model = new Simple(); CrossEntropyLoss criterion = new CrossEntropyLoss();
             SGD optimizer = new SGD(model.parameters(), 1.0)) {
            try (var noGrad = Autograd.noGrad()) {
                model.parameters().forEach(p -> p.fill_(0.1));
            }
            model.train();
            Tensor images = Tensor.ones(8, 3, 10, 10);
            Tensor targets = Tensor.ones(DType.INT64, 8);
            Tensor output = model.forward(images);
            t.show("output.shape()", Tour.shape(output.shape()));
            Tensor loss = criterion.forward(output, targets);
            t.show("model.conv1.weight().grad()  // before backward", model.conv1.weight().grad());
            loss.backward();
            t.note("all 20 logits are equal, so softmax is uniform (1/20) and d loss/d logit = 1/20 - [class 1];");
            t.note("the linear layer's equal weights sum that to 0 for every feature: conv grads are 0 (here up to");
            t.note("float32 rounding, ~1e-7; the tutorial's printed -0.0782 cannot come from this code)");
            t.record("conv1Grad", "model.conv1.weight().grad()[0][0][0]", model.conv1.weight().grad().select(0, 0)
                    .select(0, 0).select(0, 0));
            t.record("conv1GradMaxAbs", "conv1 grad max |g|", model.conv1.weight().grad().abs().max().item());
            t.note("the top-left feature is 16 x 0.1 x (1.2 + 1.8 + 1.8 + 2.7) = 12, so d loss/d W[j][0] = "
                    + "(1/20 - [j = 1]) x 12");
            t.record("linearGrad", "model.linear.weight().grad()[0..1][0]", model.linear.weight().grad()
                    .select(1, 0).narrow(0, 0, 2));
            optimizer.step();
            t.record("conv1After", "after optimizer.step() (lr 1): conv1.weight()[0][0][0]", model.conv1.weight()
                    .select(0, 0).select(0, 0).select(0, 0));
            t.record("linearAfter", "after optimizer.step(): linear.weight()[0..1][0]  // 0.1 - grad",
                    model.linear.weight().select(1, 0).narrow(0, 0, 2));
            optimizer.zeroGrad();
            t.show("optimizer.zeroGrad(); conv1.weight().grad()", model.conv1.weight().grad()
                    + "   (PyTorch 2.x also sets None)");
        }
    }

    /** The tutorial's {@code MyModel}: Linear(10, 32), Sigmoid, Linear(32, 1). */
    static Sequential myModel() {
        return new Sequential(new Linear(10, 32), new Sigmoid(), new Linear(32, 1));
    }

    static void loop(Tour t) throws Exception {
        Kiln.manualSeed(0);
        Tensor x = Tensor.randn(256, 10);
        Tensor y = x.matmul(Tensor.linspace(-1, 1, 10).unsqueeze(1)).add(Tensor.randn(256, 1).mul(0.1));
        TensorDataset dataset = new TensorDataset(x, y);
        t.show("new TensorDataset(x, y).size()", dataset.size());
        Path file = Files.createTempFile("kiln-tour", ".safetensors");
        try (Sequential model = myModel(); MSELoss criterion = new MSELoss();
             SGD optimizer = new SGD(model.parameters(), 0.1);
             DataLoader<List<Tensor>> loader = DataLoader.builder(dataset).batchSize(16).shuffle(true).build()) {
            t.show("loader.length()  // batches per epoch", loader.length());
            double first = 0;
            double last = 0;
            for (int epoch = 0; epoch < 30; epoch++) {
                model.train();
                double sum = 0;
                for (Batch batch : loader) {
                    try (batch; TensorScope scope = TensorScope.open()) {
                        optimizer.zeroGrad();
                        Tensor loss = criterion.forward(model.forward(batch.features()), batch.labels());
                        loss.backward();
                        optimizer.step();
                        sum += loss.item() * batch.batchSize();
                    }
                }
                last = sum / dataset.size();
                first = epoch == 0 ? last : first;
            }
            t.record("trainLoss", String.format(Locale.ROOT, "train MSE after epoch 1 and 30"), first, last);
            model.eval();
            double evalLoss;
            try (var noGrad = Autograd.noGrad()) {
                evalLoss = criterion.forward(model.forward(x), y).item();
            }
            t.show("model.eval(); under noGrad: MSE on all 256", String.format(Locale.ROOT, "%.4f", evalLoss));
            Safetensors.save(model.stateDict(), file);
            try (Sequential restored = myModel()) {
                restored.loadStateDict(Safetensors.load(file));
                restored.eval();
                try (var noGrad = Autograd.noGrad()) {
                    double diff = model.forward(x).sub(restored.forward(x)).abs().max().item();
                    t.record("reloadDiff", "Safetensors.save(stateDict) -> load -> max |output difference|", diff);
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    static void allReduce(Tour t) throws Exception {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        InetAddress loopback = InetAddress.getLoopbackAddress();
        TcpOptions options = TcpOptions.defaults();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TcpProcessGroup.Listener l0 = TcpProcessGroup.listen(loopback, secret, options);
             TcpProcessGroup.Listener l1 = TcpProcessGroup.listen(loopback, secret, options)) {
            List<String> addresses = List.of(l0.address(), l1.address());
            List<TcpProcessGroup.Listener> listeners = List.of(l0, l1);
            List<Future<double[]>> results = new ArrayList<>();
            for (int rank = 0; rank < 2; rank++) {
                int r = rank;
                results.add(pool.submit(() -> {
                    try (TensorScope scope = TensorScope.open();
                         TcpProcessGroup pg = listeners.get(r).connect(r, addresses)) {
                        Tensor x = Tensor.of(1f, 2f, 3f).mul(r + 1);
                        pg.allReduce(List.of(x), ReduceOp.SUM);
                        return x.to(DType.FLOAT64).toDoubleArray();
                    }
                }));
            }
            t.note("rank r holds [1, 2, 3] x (r + 1); all_reduce(SUM) leaves the sum on every rank");
            double[] r0 = results.get(0).get(60, TimeUnit.SECONDS);
            double[] r1 = results.get(1).get(60, TimeUnit.SECONDS);
            t.record("allReduce0", "rank 0 after pg.allReduce(List.of(x), ReduceOp.SUM)", r0);
            t.record("allReduce1", "rank 1 after pg.allReduce(List.of(x), ReduceOp.SUM)", r1);
        } finally {
            pool.shutdownNow();
        }
    }
}
