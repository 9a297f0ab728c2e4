package dev.kiln.bench;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

/**
 * The same MLP as {@link KilnTrainer} in libtorch through DJL's PyTorch engine: DJL's {@code Linear} blocks run
 * {@code torch::linear}, {@code softmaxCrossEntropyLoss} a log-softmax and pick, and Adam is DJL's fused
 * {@code adamUpdate} (one libtorch call per parameter). Same batch sizes, same data, walked in the same order.
 */
final class DjlMlp implements AutoCloseable {
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

    DjlMlp(float[] xs, float[] ys, long n, int trainBatch, int inferBatch) {
        this.manager = NDManager.newBaseManager("PyTorch");
        this.x = manager.create(xs, new Shape(n, 784));
        this.y = manager.create(ys, new Shape(n));
        this.trainBatch = trainBatch;
        this.inferBatch = inferBatch;
        SequentialBlock net = new SequentialBlock()
                .add(Linear.builder().setUnits(256).build()).add(Activation::relu)
                .add(Linear.builder().setUnits(128).build()).add(Activation::relu)
                .add(Linear.builder().setUnits(10).build());
        this.model = Model.newInstance("mlp", "PyTorch");
        model.setBlock(net);
        DefaultTrainingConfig cfg = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build());
        this.trainer = model.newTrainer(cfg);
        trainer.initialize(new Shape(trainBatch, 784));
    }

    static String engineDescription() {
        ai.djl.engine.Engine e = ai.djl.engine.Engine.getEngine("PyTorch");
        return "DJL " + ai.djl.engine.Engine.getDjlVersion() + ", " + e.getEngineName() + " " + e.getVersion();
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
