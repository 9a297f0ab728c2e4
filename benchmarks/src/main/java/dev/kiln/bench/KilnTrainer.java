package dev.kiln.bench;

import dev.kiln.autograd.Autograd;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/**
 * A Kiln model (cross entropy, Adam lr 1e-3) stepping through a fixed data set in order: {@link #trainStep()} is
 * the PyTorch loop body (zero_grad, forward, loss, backward, step) on the next batch, {@link #inferStep()} a
 * no-grad eval forward of the next inference batch. {@link #mnistMlp()}, {@link #mnistCnn()} and {@link #leNet5()}
 * build the architectures the benchmarks time; {@link DjlTrainer} builds the same in libtorch.
 */
final class KilnTrainer implements AutoCloseable {
    private final Tensor x;
    private final Tensor y;
    private final int trainBatch;
    private final int inferBatch;
    private final Sequential model;
    private final CrossEntropyLoss criterion = new CrossEntropyLoss();
    private final Adam optimizer;
    private long trainPos;
    private long inferPos;
    double lastLoss;

    KilnTrainer(Sequential model, Tensor x, Tensor y, int trainBatch, int inferBatch) {
        this.model = model;
        this.optimizer = new Adam(model.parameters(), 1e-3);
        this.x = x;
        this.y = y;
        this.trainBatch = trainBatch;
        this.inferBatch = inferBatch;
    }

    /** The MNIST MLP: 784-256-128-10 with ReLU. */
    static Sequential mnistMlp() {
        return new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(), new Linear(128, 10));
    }

    /** examples/MnistCnn: conv(1→32,5,pad 2)-ReLU-pool2-conv(32→64,5,pad 2)-ReLU-pool2-dropout(.25)-fc128-fc10. */
    static Sequential mnistCnn() {
        return new Sequential(
                new Conv2d(1, 32, 5, 1, 2), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 5, 1, 2), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Dropout(0.25),
                new Linear(64 * 7 * 7, 128), new ReLU(), new Linear(128, 10));
    }

    /** LeNet-5 with ReLU and max pooling: conv(1→6,5,pad 2)-pool2-conv(6→16,5)-pool2-fc 400-120-84-10. */
    static Sequential leNet5() {
        return new Sequential(
                new Conv2d(1, 6, 5, 1, 2), new ReLU(), new MaxPool2d(2),
                new Conv2d(6, 16, 5), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(400, 120), new ReLU(), new Linear(120, 84), new ReLU(), new Linear(84, 10));
    }

    long samples() {
        return x.size(0);
    }

    void trainStep() {
        if (trainPos + trainBatch > x.size(0)) {
            trainPos = 0;
        }
        model.train();
        try (TensorScope scope = TensorScope.open()) {
            Tensor xb = x.narrow(0, trainPos, trainBatch);
            Tensor yb = y.narrow(0, trainPos, trainBatch);
            optimizer.zeroGrad();
            Tensor loss = criterion.forward(model.forward(xb), yb);
            loss.backward();
            optimizer.step();
            lastLoss = loss.item();
        }
        trainPos += trainBatch;
    }

    void inferStep() {
        if (inferPos + inferBatch > x.size(0)) {
            inferPos = 0;
        }
        model.eval();
        try (TensorScope scope = TensorScope.open(); var g = Autograd.noGrad()) {
            Tensor out = model.forward(x.narrow(0, inferPos, inferBatch));
            out.getDouble(0); // touch the result, as the DJL side does
        }
        inferPos += inferBatch;
    }

    @Override
    public void close() {
        optimizer.close();
        criterion.close();
        model.close();
    }
}
