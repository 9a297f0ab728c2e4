package dev.kiln.bench;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

/**
 * The models of {@link KilnTrainer} in libtorch through DJL's PyTorch engine: {@code Linear} runs
 * {@code torch::linear}, {@code Conv2d} {@code torch::conv2d} (oneDNN or im2col on CPU, as PyTorch picks),
 * {@code Pool.maxPool2d} {@code torch::max_pool2d}, {@code softmaxCrossEntropyLoss} a log-softmax and pick, and
 * Adam is DJL's fused {@code adamUpdate}. Same batch sizes, same data, walked in the same order.
 */
final class DjlTrainer implements AutoCloseable {
    private final NDManager manager;
    private final NDArray x;
    private final NDArray y;
    private final int trainBatch;
    private final int inferBatch;
    private final Model model;
    private final Trainer trainer;
    private long trainPos;
    private long inferPos;
    double lastLoss;

    /** {@code sample}: the shape of one input row, e.g. {@code [784]} or {@code [1, 28, 28]}. */
    DjlTrainer(SequentialBlock net, float[] xs, float[] ys, long n, long[] sample, int trainBatch, int inferBatch) {
        this.manager = NDManager.newBaseManager("PyTorch");
        this.x = manager.create(xs, new Shape(n).addAll(new Shape(sample)));
        this.y = manager.create(ys, new Shape(n));
        this.trainBatch = trainBatch;
        this.inferBatch = inferBatch;
        this.model = Model.newInstance("bench", "PyTorch");
        model.setBlock(net);
        DefaultTrainingConfig cfg = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build());
        this.trainer = model.newTrainer(cfg);
        trainer.initialize(new Shape(trainBatch).addAll(new Shape(sample)));
    }

    static String engineDescription() {
        ai.djl.engine.Engine e = ai.djl.engine.Engine.getEngine("PyTorch");
        return "DJL " + ai.djl.engine.Engine.getDjlVersion() + ", " + e.getEngineName() + " " + e.getVersion();
    }

    /** The MNIST MLP: 784-256-128-10 with ReLU. */
    static SequentialBlock mnistMlp() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(256).build()).add(Activation::relu)
                .add(Linear.builder().setUnits(128).build()).add(Activation::relu)
                .add(Linear.builder().setUnits(10).build());
    }

    private static Conv2d conv(int filters, int pad) {
        return Conv2d.builder().setKernelShape(new Shape(5, 5)).optPadding(new Shape(pad, pad)).setFilters(filters)
                .build();
    }

    static SequentialBlock mnistCnn() {
        return new SequentialBlock()
                .add(conv(32, 2)).add(Activation::relu).add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(conv(64, 2)).add(Activation::relu).add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock()).add(Dropout.builder().optRate(0.25f).build())
                .add(Linear.builder().setUnits(128).build()).add(Activation::relu)
                .add(Linear.builder().setUnits(10).build());
    }

    static SequentialBlock leNet5() {
        return new SequentialBlock()
                .add(conv(6, 2)).add(Activation::relu).add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(conv(16, 0)).add(Activation::relu).add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(120).build()).add(Activation::relu)
                .add(Linear.builder().setUnits(84).build()).add(Activation::relu)
                .add(Linear.builder().setUnits(10).build());
    }

    void trainStep() {
        if (trainPos + trainBatch > x.getShape().get(0)) {
            trainPos = 0;
        }
        try (NDManager step = manager.newSubManager()) {
            NDArray xb = x.get(new NDIndex("{}:{}", trainPos, trainPos + trainBatch));
            NDArray yb = y.get(new NDIndex("{}:{}", trainPos, trainPos + trainBatch));
            xb.attach(step);
            yb.attach(step);
            try (GradientCollector gc = trainer.newGradientCollector()) {
                NDArray out = trainer.forward(new NDList(xb)).singletonOrThrow();
                NDArray loss = trainer.getLoss().evaluate(new NDList(yb), new NDList(out));
                gc.backward(loss);
                lastLoss = loss.getFloat();
            }
            trainer.step();
        }
        trainPos += trainBatch;
    }

    void inferStep() {
        if (inferPos + inferBatch > x.getShape().get(0)) {
            inferPos = 0;
        }
        try (NDManager step = manager.newSubManager()) {
            NDArray xb = x.get(new NDIndex("{}:{}", inferPos, inferPos + inferBatch));
            xb.attach(step);
            NDArray out = trainer.evaluate(new NDList(xb)).singletonOrThrow();
            out.attach(step);
            out.getFloat(0, 0);
        }
        inferPos += inferBatch;
    }

    @Override
    public void close() {
        trainer.close();
        model.close();
        manager.close();
    }
}
