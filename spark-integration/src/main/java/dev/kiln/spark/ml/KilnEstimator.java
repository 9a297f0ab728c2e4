package dev.kiln.spark.ml;

import dev.kiln.spark.train.DistributedTrainer;
import dev.kiln.spark.train.InputColumns;
import dev.kiln.spark.train.ModelFactory;
import dev.kiln.spark.train.TrainerConfig;
import java.util.List;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Trains a Kiln {@link dev.kiln.nn.Module} on a DataFrame with data-parallel workers in one Spark barrier stage, as
 * a Spark ML {@link Estimator}, so it drops into a {@code Pipeline}:
 *
 * <pre>{@code
 * KilnEstimator est = new KilnEstimator()
 *     .setModelFactory(() -> new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10)))
 *     .setFeaturesCol("features").setLabelCol("label")
 *     .setLoss("cross_entropy").setOptimizer("adam").setLearningRate(1e-3)
 *     .setNumWorkers(2).setEpochs(5).setBatchSize(64);
 * KilnModel model = est.fit(train);
 * }</pre>
 *
 * <p>{@code batchSize} is per worker: each step every worker takes {@code batchSize} of its rows, and gradients
 * are averaged weighted by rows, so a step is one SGD step on a global batch of {@code batchSize * numWorkers}
 * rows. Features come from one Spark ML {@code Vector} or numeric {@code array} column ({@code featuresCol}) or
 * several numeric columns ({@code featuresCols}); see {@link InputColumns}. With {@code checkpointDir} set (any
 * Hadoop FileSystem path), a checkpoint is written every epoch and every {@code checkpointEvery} steps, and a
 * retried stage — or a new {@code fit} with the same directory — resumes from the newest one.
 */
public final class KilnEstimator extends Estimator<KilnModel> implements MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private ModelFactory modelFactory;

    private final Param<String> featuresCol;
    private final StringArrayParam featuresCols;
    private final Param<String> labelCol;
    private final Param<String> predictionCol;
    private final IntParam numWorkers;
    private final IntParam epochs;
    private final IntParam batchSize;
    private final LongParam seed;
    private final Param<String> optimizer;
    private final DoubleParam learningRate;
    private final DoubleParam weightDecay;
    private final DoubleParam momentum;
    private final Param<String> loss;
    private final Param<String> lrScheduler;
    private final IntParam lrStepSize;
    private final DoubleParam lrGamma;
    private final BooleanParam shuffle;
    private final Param<String> checkpointDir;
    private final IntParam checkpointEvery;
    private final Param<String> device;
    private final IntParam threadsPerWorker;
    private final BooleanParam balancePartitions;
    private TrainerConfig.FaultInjection faultInjection;

    public KilnEstimator() {
        this(Identifiable.randomUID("kilnEstimator"));
    }

    public KilnEstimator(String uid) {
        this.uid = uid;
        featuresCol = new Param<>(this, "featuresCol", "features column: a Vector or an array of numbers");
        featuresCols = new StringArrayParam(this, "featuresCols", "several numeric feature columns (instead of "
                + "featuresCol), one feature each");
        labelCol = new Param<>(this, "labelCol", "label column: class index or regression target");
        predictionCol = new Param<>(this, "predictionCol", "prediction column name of the fitted model");
        numWorkers = new IntParam(this, "numWorkers", "data-parallel workers (barrier tasks)", ParamValidators.gtEq(1));
        epochs = new IntParam(this, "epochs", "passes over the data", ParamValidators.gtEq(1));
        batchSize = new IntParam(this, "batchSize", "rows per step per worker", ParamValidators.gtEq(1));
        seed = new LongParam(this, "seed", "random seed (init, shuffles, dropout)");
        optimizer = new Param<>(this, "optimizer", "sgd | adam | adamw | rmsprop | adagrad",
                ParamValidators.inArray(TrainingSpec.OPTIMIZERS.toArray(String[]::new)));
        learningRate = new DoubleParam(this, "learningRate", "learning rate", ParamValidators.gt(0));
        weightDecay = new DoubleParam(this, "weightDecay", "L2 penalty (decoupled for adamw)", ParamValidators.gtEq(0));
        momentum = new DoubleParam(this, "momentum", "momentum for sgd and rmsprop", ParamValidators.gtEq(0));
        loss = new Param<>(this, "loss", "cross_entropy | nll | mse | l1 | smooth_l1 | bce_with_logits",
                ParamValidators.inArray(TrainingSpec.LOSSES.toArray(String[]::new)));
        lrScheduler = new Param<>(this, "lrScheduler", "none | step | exponential | cosine | onecycle",
                ParamValidators.inArray(TrainingSpec.SCHEDULERS.toArray(String[]::new)));
        lrStepSize = new IntParam(this, "lrStepSize", "epochs between decays (step)", ParamValidators.gtEq(1));
        lrGamma = new DoubleParam(this, "lrGamma", "decay factor (step, exponential)", ParamValidators.gt(0));
        shuffle = new BooleanParam(this, "shuffle", "reshuffle each worker's rows every epoch");
        checkpointDir = new Param<>(this, "checkpointDir", "Hadoop FileSystem directory for checkpoints (resume)");
        checkpointEvery = new IntParam(this, "checkpointEvery", "also checkpoint every this many steps (0: epochs "
                + "only)", ParamValidators.gtEq(0));
        device = DeviceParam.of(this, "cpu | cuda | auto: where each task trains (cuda: the GPU Spark assigned to "
                + "the task; auto: that GPU when there is one and CUDA works, else the CPU)");
        threadsPerWorker = new IntParam(this, "threadsPerWorker", "CPU kernel threads per worker (0: "
                + "spark.task.cpus)", ParamValidators.gtEq(0));
        balancePartitions = new BooleanParam(this, "balancePartitions", "repartition round-robin into numWorkers "
                + "equal partitions (false: keep the DataFrame's partitions when there are numWorkers of them)");
        setDefault(balancePartitions, true);
        setDefault(featuresCol, "features");
        setDefault(labelCol, "label");
        setDefault(predictionCol, "prediction");
        setDefault(numWorkers, 1);
        setDefault(epochs, 1);
        setDefault(batchSize, 32);
        setDefault(seed, 0L);
        setDefault(optimizer, "adam");
        setDefault(learningRate, 1e-3);
        setDefault(weightDecay, 0.0);
        setDefault(momentum, 0.0);
        setDefault(loss, "cross_entropy");
        setDefault(lrScheduler, "none");
        setDefault(lrStepSize, 1);
        setDefault(lrGamma, 0.1);
        setDefault(shuffle, true);
        setDefault(checkpointEvery, 0);
        setDefault(device, "auto");
        setDefault(threadsPerWorker, 0);
    }

    @Override
    public String uid() {
        return uid;
    }

    // ------------------------------------------------------------------ training

    @Override
    public KilnModel fit(Dataset<?> dataset) {
        if (modelFactory == null) {
            throw new IllegalStateException("no model: call setModelFactory(() -> new Sequential(...)) first");
        }
        transformSchema(dataset.schema());
        TrainingSpec spec = trainingSpec();
        @SuppressWarnings("unchecked")
        Dataset<Row> df = (Dataset<Row>) dataset;
        InputColumns columns = InputColumns.resolve(df.schema(), featureColumnNames(), getLabelCol(), spec.labelType());
        TrainerConfig config = TrainerConfig.of(getNumWorkers()).withSeed(getSeed())
                .withThreadsPerTask(getThreadsPerWorker()).withDevice(getDevice())
                .withCheckpointDir(isDefined(checkpointDir) ? getCheckpointDir() : null)
                .withFaultInjection(faultInjection).withBalance(getBalancePartitions());
        List<EstimatorLoop.Output> outputs = DistributedTrainer.run(df, config, columns,
                new EstimatorLoop(modelFactory, spec));
        EstimatorLoop.Output rank0 = outputs.get(0);
        KilnModel model = new KilnModel(uid, modelFactory, rank0.stateDict(), rank0.history());
        copyValues(model, extractParamMap());
        model.resetBatchSize(); // batchSize is rows per training step here; scoring keeps its own default (1024)
        return model.setParent(this);
    }

    TrainingSpec trainingSpec() {
        return new TrainingSpec(getOptimizer(), getLearningRate(), getWeightDecay(), getMomentum(), getLoss(),
                getLrScheduler(), getLrStepSize(), getLrGamma(), getEpochs(), getBatchSize(), getShuffle(), getSeed(),
                getCheckpointEvery());
    }

    String[] featureColumnNames() {
        return isSet(featuresCols) && getFeaturesCols().length > 0 ? getFeaturesCols() : new String[] {getFeaturesCol()};
    }

    /** Checks the columns exist with usable types and adds the prediction column, before any work. */
    @Override
    public StructType transformSchema(StructType schema) {
        InputColumns.resolve(schema, featureColumnNames(), getLabelCol(), InputColumns.LabelType.INDEX);
        return KilnModel.withPrediction(schema, getPredictionCol());
    }

    @Override
    public KilnEstimator copy(ParamMap extra) {
        KilnEstimator copy = defaultCopy(extra);
        copy.modelFactory = modelFactory;
        copy.faultInjection = faultInjection;
        return copy;
    }

    // ------------------------------------------------------------------ model

    /** The architecture: called on the driver and once per worker; all workers start from rank 0's weights. */
    public KilnEstimator setModelFactory(ModelFactory factory) {
        this.modelFactory = factory;
        return this;
    }

    public ModelFactory getModelFactory() {
        return modelFactory;
    }

    // ------------------------------------------------------------------ persistence (KilnEstimatorIO)

    /** Saves params and architecture; the model factory must be a {@link ModelSpec} (a lambda cannot be saved). */
    @Override
    public MLWriter write() {
        return new KilnEstimatorIO.Writer(this);
    }

    /** Spark ML's reader (also what {@code Pipeline.load} calls). */
    public static MLReader<KilnEstimator> read() {
        return new KilnEstimatorIO.Reader();
    }

    public static KilnEstimator load(String path) {
        return read().load(path);
    }

    /** Test hook: make one rank fail once at a global step, to prove stage retry + resume. */
    KilnEstimator setFaultInjection(int rank, long step) {
        this.faultInjection = new TrainerConfig.FaultInjection(rank, step);
        return this;
    }

    // ------------------------------------------------------------------ params (Spark ML style)

    public Param<String> featuresCol() { return featuresCol; }
    public StringArrayParam featuresCols() { return featuresCols; }
    public Param<String> labelCol() { return labelCol; }
    public Param<String> predictionCol() { return predictionCol; }
    public IntParam numWorkers() { return numWorkers; }
    public IntParam epochs() { return epochs; }
    public IntParam batchSize() { return batchSize; }
    public LongParam seed() { return seed; }
    public Param<String> optimizer() { return optimizer; }
    public DoubleParam learningRate() { return learningRate; }
    public DoubleParam weightDecay() { return weightDecay; }
    public DoubleParam momentum() { return momentum; }
    public Param<String> loss() { return loss; }
    public Param<String> lrScheduler() { return lrScheduler; }
    public IntParam lrStepSize() { return lrStepSize; }
    public DoubleParam lrGamma() { return lrGamma; }
    public BooleanParam shuffle() { return shuffle; }
    public Param<String> checkpointDir() { return checkpointDir; }
    public IntParam checkpointEvery() { return checkpointEvery; }
    public Param<String> device() { return device; }
    public IntParam threadsPerWorker() { return threadsPerWorker; }
    public BooleanParam balancePartitions() { return balancePartitions; }

    public String getFeaturesCol() { return $(featuresCol); }
    public String[] getFeaturesCols() { return $(featuresCols); }
    public String getLabelCol() { return $(labelCol); }
    public String getPredictionCol() { return $(predictionCol); }
    public int getNumWorkers() { return (Integer) $(numWorkers); }
    public int getEpochs() { return (Integer) $(epochs); }
    public int getBatchSize() { return (Integer) $(batchSize); }
    public long getSeed() { return (Long) $(seed); }
    public String getOptimizer() { return $(optimizer); }
    public double getLearningRate() { return (Double) $(learningRate); }
    public double getWeightDecay() { return (Double) $(weightDecay); }
    public double getMomentum() { return (Double) $(momentum); }
    public String getLoss() { return $(loss); }
    public String getLrScheduler() { return $(lrScheduler); }
    public int getLrStepSize() { return (Integer) $(lrStepSize); }
    public double getLrGamma() { return (Double) $(lrGamma); }
    public boolean getShuffle() { return (Boolean) $(shuffle); }
    public String getCheckpointDir() { return $(checkpointDir); }
    public int getCheckpointEvery() { return (Integer) $(checkpointEvery); }
    public String getDevice() { return $(device); }
    public int getThreadsPerWorker() { return (Integer) $(threadsPerWorker); }
    public boolean getBalancePartitions() { return (Boolean) $(balancePartitions); }

    public KilnEstimator setFeaturesCol(String v) { set(featuresCol, v); return this; }
    public KilnEstimator setFeaturesCols(String... v) { set(featuresCols, v); return this; }
    public KilnEstimator setLabelCol(String v) { set(labelCol, v); return this; }
    public KilnEstimator setPredictionCol(String v) { set(predictionCol, v); return this; }
    public KilnEstimator setNumWorkers(int v) { set(numWorkers, v); return this; }
    public KilnEstimator setEpochs(int v) { set(epochs, v); return this; }
    public KilnEstimator setBatchSize(int v) { set(batchSize, v); return this; }
    public KilnEstimator setSeed(long v) { set(seed, v); return this; }
    public KilnEstimator setOptimizer(String v) { set(optimizer, v); return this; }
    public KilnEstimator setLearningRate(double v) { set(learningRate, v); return this; }
    public KilnEstimator setWeightDecay(double v) { set(weightDecay, v); return this; }
    public KilnEstimator setMomentum(double v) { set(momentum, v); return this; }
    public KilnEstimator setLoss(String v) { set(loss, v); return this; }
    public KilnEstimator setLrScheduler(String v) { set(lrScheduler, v); return this; }
    public KilnEstimator setLrStepSize(int v) { set(lrStepSize, v); return this; }
    public KilnEstimator setLrGamma(double v) { set(lrGamma, v); return this; }
    public KilnEstimator setShuffle(boolean v) { set(shuffle, v); return this; }
    public KilnEstimator setCheckpointDir(String v) { set(checkpointDir, v); return this; }
    public KilnEstimator setCheckpointEvery(int v) { set(checkpointEvery, v); return this; }
    public KilnEstimator setDevice(String v) { set(device, DeviceParam.normalize(v)); return this; }
    public KilnEstimator setThreadsPerWorker(int v) { set(threadsPerWorker, v); return this; }
    public KilnEstimator setBalancePartitions(boolean v) { set(balancePartitions, v); return this; }
}
