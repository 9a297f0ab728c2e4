package dev.kiln.bench;

import dev.kiln.autograd.Autograd;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;

/**
 * The MNIST MLP (784-256-128-10, ReLU, cross entropy, Adam lr 1e-3) in Kiln, stepping through a fixed data set
 * in order: one {@link #trainStep()} is the PyTorch loop body (zero_grad, forward, loss, backward, step) on the
 * next batch, one {@link #inferStep()} a no-grad eval forward of the next inference batch.
 */
final class KilnMlp implements AutoCloseable {
    private final Tensor x;
    private final Tensor y;
    private final int trainBatch;
    private final int inferBatch;
    private final Sequential model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128),
            new ReLU(), new Linear(128, 10));
    private final CrossEntropyLoss criterion = new CrossEntropyLoss();
    private final Adam optimizer = new Adam(model.parameters(), 1e-3);
    private long trainPos;
    private long inferPos;
    double lastLoss;

    KilnMlp(Tensor x, Tensor y, int trainBatch, int inferBatch) {
        this.x = x;
        this.y = y;
        this.trainBatch = trainBatch;
        this.inferBatch = inferBatch;
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
