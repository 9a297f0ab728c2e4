package dev.kiln.spark.ml;

import dev.kiln.autograd.Autograd;
import dev.kiln.nn.Module;
import dev.kiln.spark.sql.BatchScoring;
import dev.kiln.spark.sql.ModelReplicas;
import dev.kiln.spark.sql.OutputLayout;
import dev.kiln.spark.sql.RowScorer;
import dev.kiln.spark.sql.ScoringPayload;
import dev.kiln.spark.train.InputColumns;
import dev.kiln.spark.train.ModelFactory;
import dev.kiln.spark.train.Progress;
import dev.kiln.spark.train.StateDictBytes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.IntParam;
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
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A trained Kiln model as a Spark ML {@link Model}: the architecture (a {@link ModelFactory}, ideally a
 * {@link ModelSpec}), the trained weights (safetensors bytes of the state dict) and the training history.
 *
 * <ul>
 *   <li>{@link #transform} scores a DataFrame in batches of {@code batchSize} rows (see {@link BatchScoring}) and
 *       appends MLlib's columns: for a classifier {@code rawPrediction} (logits, a Vector), {@code probability}
 *       (softmax, a Vector) and {@code prediction} (the class index, a double); for a regressor {@code prediction}
 *       ({@link OutputLayout} has the rules, {@code outputMode} chooses). The weights are broadcast once; each executor
 *       JVM builds the model once per concurrently running task and reuses it for later tasks.</li>
 *   <li>{@link #udf()} and {@code KilnUdfs.register} score one row per call, for SQL. On the MNIST MLP in Spark
 *       {@code local[2]} (ScoringBench, BENCHMARKS.md) {@code transform} was 2.6x faster than the UDF: use the UDF
 *       where a SQL expression is the interface, {@code transform} for bulk scoring.</li>
 *   <li>{@link #setDevice}: {@code auto} (the default) scores on the GPU Spark assigned to each task when there is
 *       one and CUDA works, else on the CPU; {@code cuda} insists on the GPU, {@code cpu} stays on the CPU.</li>
 *   <li>{@link #write()} / {@link #load} save and load it on any Hadoop FileSystem path, also inside a
 *       {@code PipelineModel} ({@link KilnModelIO} has the format).</li>
 * </ul>
 *
 * <p>Null features ({@code handleInvalid}): {@code error} (default) fails naming the column, partition and row;
 * {@code skip} drops the row; {@code keep} keeps it with null outputs. A row whose feature count differs from the
 * model's input ({@code numFeatures}: set, or read from a first Linear layer) is always an error.
 */
public final class KilnModel extends Model<KilnModel> implements MLWritable {
    private static final long serialVersionUID = 1L;
    /** Rows per scoring batch unless set: big enough for GEMM efficiency, 3 MB of float32 at 784 features. */
    static final int DEFAULT_BATCH_SIZE = 1024;

    private final String uid;
    private final ModelFactory factory;
    private final byte[] stateDict;
    private final List<Progress.Epoch> history;
    private final String key; // names (architecture, weights) in executors' replica caches; shared by copies
    private ModelSpec spec;
    private transient ScoringDriver driver;

    private final Param<String> featuresCol;
    private final StringArrayParam featuresCols;
    private final Param<String> predictionCol;
    private final Param<String> probabilityCol;
    private final Param<String> rawPredictionCol;
    private final IntParam batchSize;
    private final Param<String> outputMode;
    private final Param<String> handleInvalid;
    private final IntParam numFeatures;
    private final Param<String> device;

    KilnModel(String uid, ModelFactory factory, byte[] stateDict, List<Progress.Epoch> history) {
        this(uid, factory, factory instanceof ModelSpec s ? s : null, stateDict, history,
                UUID.randomUUID().toString());
    }

    private KilnModel(String uid, ModelFactory factory, ModelSpec spec, byte[] stateDict,
                      List<Progress.Epoch> history, String key) {
        this.uid = uid;
        this.factory = factory;
        this.spec = spec;
        this.stateDict = stateDict;
        this.history = history == null ? List.of() : List.copyOf(history);
        this.key = key;
        featuresCol = new Param<>(this, "featuresCol", "features column: a Vector or an array of numbers");
        featuresCols = new StringArrayParam(this, "featuresCols", "several numeric feature columns (instead of "
                + "featuresCol), one feature each");
        predictionCol = new Param<>(this, "predictionCol", "prediction column name (empty: none)");
        probabilityCol = new Param<>(this, "probabilityCol", "class probabilities column name (empty: none)");
        rawPredictionCol = new Param<>(this, "rawPredictionCol", "raw prediction (logits) column name (empty: none)");
        batchSize = new IntParam(this, "batchSize", "rows per inference batch", ParamValidators.gtEq(1));
        outputMode = new Param<>(this, "outputMode", "auto | classification | binary | regression: how the output is "
                + "read (auto: classification for several outputs, regression for one)",
                ParamValidators.inArray(new String[] {"auto", "classification", "binary", "regression"}));
        handleInvalid = new Param<>(this, "handleInvalid", "null features: error | skip (drop the row) | keep (null "
                + "outputs)", ParamValidators.inArray(new String[] {"error", "skip", "keep"}));
        numFeatures = new IntParam(this, "numFeatures", "input features per row (0: from a first Linear layer or the "
                + "column's metadata)", ParamValidators.gtEq(0));
        device = DeviceParam.of(this, "cpu | cuda | auto: where each task scores (cuda: the GPU Spark assigned to "
                + "the task; auto: that GPU when there is one and CUDA works, else the CPU)");
        setDefault(featuresCol, "features");
        setDefault(predictionCol, "prediction");
        setDefault(probabilityCol, "probability");
        setDefault(rawPredictionCol, "rawPrediction");
        setDefault(batchSize, DEFAULT_BATCH_SIZE);
        setDefault(outputMode, "auto");
        setDefault(handleInvalid, "error");
        setDefault(numFeatures, 0);
        setDefault(device, "auto");
    }

    /**
     * Wraps weights trained anywhere — plain Java, another Spark job, or PyTorch (a {@code state_dict} saved as
     * safetensors) — for the model {@code factory} builds. The weights are checked against it now (strictly, as
     * PyTorch's {@code load_state_dict}). Pass a {@link ModelSpec} as the factory to be able to save the model.
     */
    public static KilnModel of(ModelFactory factory, byte[] safetensorsStateDict) {
        KilnModel m = new KilnModel(Identifiable.randomUID("kilnModel"), factory, safetensorsStateDict.clone(),
                List.of());
        m.driver().module(); // validate now: the weights must fit the architecture
        return m;
    }

    /** Wraps a module trained in plain Java (its current weights are copied); {@code factory} builds its twin. */
    public static KilnModel of(ModelFactory factory, Module trained) {
        return of(factory, StateDictBytes.save(trained));
    }

    /** A loaded model: the architecture from its spec, already validated by building it with the weights. */
    static KilnModel restore(String uid, ModelSpec spec, byte[] weights, List<Progress.Epoch> history) {
        KilnModel m = new KilnModel(uid, spec, spec, weights, history, UUID.randomUUID().toString());
        m.driver().module();
        return m;
    }

    @Override
    public String uid() {
        return uid;
    }

    /** The trained weights as safetensors bytes (loads in PyTorch with {@code safetensors.torch.load}). */
    public byte[] stateDictBytes() {
        return stateDict.clone();
    }

    byte[] weights() {
        return stateDict;
    }

    /**
     * Drops a batchSize copied from the estimator (Spark's copyValues copies its value and its default), where it
     * means rows per training step, so scoring uses {@link #DEFAULT_BATCH_SIZE} unless set on the model.
     */
    void resetBatchSize() {
        clear(batchSize);
        setDefault(batchSize, DEFAULT_BATCH_SIZE);
    }

    /** The key executors cache this model's replicas under (copies share it). */
    String scoringKey() {
        return key;
    }

    /**
     * This JVM's replica counters for this model (replicas built, times lent, idle now), summed over devices, or null
     * if it has not scored here; on the driver of a local-mode session that is every task's.
     */
    public ModelReplicas.Stats replicaStats() {
        return ModelReplicas.stats(key);
    }

    /** As {@link #replicaStats()}, for the replicas on one device only (null if none was built there). */
    public ModelReplicas.Stats replicaStats(dev.kiln.tensor.Device device) {
        return ModelReplicas.stats(key, device);
    }

    /** Per-epoch loss/accuracy/throughput of the run that trained this model (empty if it was not trained here). */
    public List<Progress.Epoch> history() {
        return history;
    }

    public ModelFactory modelFactory() {
        return factory;
    }

    /** The architecture as data (what {@link #write()} saves), or null for a model built from a lambda. */
    public ModelSpec modelSpec() {
        return spec;
    }

    /**
     * Names the architecture of a model built from a lambda factory so that it can be saved. The spec is checked now:
     * it must build a module that the weights load into strictly.
     */
    public KilnModel setModelSpec(ModelSpec modelSpec) {
        try (Module m = modelSpec.create(); TensorScope scope = TensorScope.open()) {
            StateDictBytes.load(stateDict, m);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the ModelSpec " + modelSpec + " does not build this model's "
                    + "architecture: " + e.getMessage(), e);
        }
        this.spec = modelSpec;
        return this;
    }

    ModelSpec specForSaving() {
        if (spec == null) {
            throw new IllegalStateException("cannot save KilnModel " + uid + ": its architecture comes from a lambda "
                    + "ModelFactory, and saving code would mean Java-deserializing it on load, which Kiln refuses. "
                    + "Describe the same architecture as data and save again: model.setModelSpec(ModelSpec.of("
                    + "\"dev.kiln.nn.Sequential\", ModelSpec.of(\"Linear\", 784, 128), ...)), or ModelSpec.mlp(...); "
                    + "or train with setModelFactory(spec)");
        }
        return spec;
    }

    /** Runs the model on {@code input} in eval mode under {@code noGrad}; the result belongs to the caller's scope. */
    public Tensor predict(Tensor input) {
        Module m = driver().module();
        synchronized (m) { // one driver-side module: calls take turns
            try (var noGrad = Autograd.noGrad()) {
                return m.forward(input);
            }
        }
    }

    // ------------------------------------------------------------------ scoring

    /** Appends the output columns, scoring in batches; validates the schema first (see {@link #transformSchema}). */
    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType schema = dataset.schema();
        StructType out = transformSchema(schema);
        InputColumns columns = inputColumns(schema);
        BatchScoring.Config config = new BatchScoring.Config(columns, layout(schema), getBatchSize(),
                BatchScoring.NullPolicy.of(getHandleInvalid()), numFeatures(schema, columns), getDevice());
        return BatchScoring.transform(dataset, broadcast(dataset.sparkSession()), config, out);
    }

    /**
     * Checks, before any work: the features column(s) exist with a usable type, their declared size (ML attribute
     * metadata) matches the model's input, the output columns are new, and the output mode fits the model's output
     * width. Returns the schema with the output columns appended.
     */
    @Override
    public StructType transformSchema(StructType schema) {
        return layout(schema).appendTo(schema);
    }

    /** MLlib's single prediction column, as the estimator's schema check uses it. */
    static StructType withPrediction(StructType schema, String predictionCol) {
        return new OutputLayout(OutputLayout.Kind.REGRESSION, "", "", predictionCol, false).appendTo(schema);
    }

    private InputColumns inputColumns(StructType schema) {
        String[] names = isSet(featuresCols) && getFeaturesCols().length > 0 ? getFeaturesCols()
                : new String[] {getFeaturesCol()};
        return InputColumns.resolve(schema, names, null, InputColumns.LabelType.FLOAT);
    }

    private OutputLayout layout(StructType schema) {
        return layout(numFeatures(schema, inputColumns(schema)));
    }

    /**
     * The model's input width: the numFeatures param, else a first Linear layer's in_features, else what the input
     * declares (several scalar columns, or a vector column's ML attribute size); 0 when none says. A declared width
     * that differs from the model's is an error here, before any job runs.
     */
    private int numFeatures(StructType schema, InputColumns columns) {
        int set = getNumFeatures();
        int model = set > 0 ? set : driver().inferredNumFeatures();
        int declared = schema == null ? -1 : declaredWidth(schema, columns);
        if (model > 0 && declared > 0 && model != declared) {
            throw new IllegalArgumentException("features column '" + columns.featureColumns()[0] + "' holds "
                    + declared + " features (" + (columns.kind() == InputColumns.FeatureKind.SCALARS ? "columns "
                    + java.util.Arrays.toString(columns.featureColumns()) : "per its ML attribute metadata")
                    + "), but the model takes " + model + (set > 0 ? " (numFeatures)" : " (its first Linear layer's "
                    + "in_features)"));
        }
        return model > 0 ? model : Math.max(declared, 0);
    }

    private static int declaredWidth(StructType schema, InputColumns columns) {
        if (columns.kind() == InputColumns.FeatureKind.SCALARS) {
            return columns.featureColumns().length;
        }
        if (columns.kind() == InputColumns.FeatureKind.VECTOR) {
            return AttributeGroup.fromStructField(schema.apply(columns.featureColumns()[0])).size();
        }
        return -1;
    }

    private OutputLayout layout(int numFeatures) {
        String mode = getOutputMode();
        int width = numFeatures > 0 ? driver().outputWidth(numFeatures) : -1;
        OutputLayout.Kind kind;
        if (mode.equals("auto")) {
            if (width < 0) {
                throw new IllegalArgumentException("outputMode 'auto' reads the model's output width, but its number "
                        + "of input features is unknown (the first layer is not Linear and the features column has no "
                        + "size metadata); set numFeatures, or outputMode to classification | binary | regression");
            }
            kind = width == 1 ? OutputLayout.Kind.REGRESSION : OutputLayout.Kind.CLASSIFICATION;
        } else {
            kind = OutputLayout.Kind.of(mode);
        }
        OutputLayout layout = new OutputLayout(kind, getRawPredictionCol(), getProbabilityCol(), getPredictionCol(),
                getHandleInvalid().equals("keep"));
        if (width > 0) {
            String bad = layout.checkWidth(width);
            if (bad != null) {
                throw new IllegalArgumentException(bad);
            }
        }
        return layout;
    }

    /** A scalar UDF returning the prediction (a double) for a features value; see {@link #udf(String)}. */
    public UserDefinedFunction udf() {
        return udf("prediction");
    }

    /**
     * A scalar UDF over a features value (Vector or array of numbers) returning {@code output}: {@code prediction}
     * (double), {@code probability} or {@code rawPrediction} (Vector). One row per call, with a model replica and
     * input buffer reused across the rows of a task (see {@link RowScorer}); {@link #transform} is the fast path.
     */
    public UserDefinedFunction udf(String output) {
        RowScorer.Output out = switch (output) {
            case "prediction" -> RowScorer.Output.PREDICTION;
            case "probability" -> RowScorer.Output.PROBABILITY;
            case "rawPrediction" -> RowScorer.Output.RAW_PREDICTION;
            default -> throw new IllegalArgumentException("udf output must be prediction, probability or "
                    + "rawPrediction, got '" + output + "'");
        };
        int numFeatures = getNumFeatures() > 0 ? getNumFeatures() : driver().inferredNumFeatures();
        RowScorer scorer = new RowScorer(broadcast(SparkSession.active()), layout(numFeatures), out, numFeatures,
                BatchScoring.NullPolicy.of(getHandleInvalid()), getDevice());
        return functions.udf(scorer, out == RowScorer.Output.PREDICTION ? DataTypes.DoubleType
                : SQLDataTypes.VectorType());
    }

    /** The weights as a broadcast of this SparkContext, made once per model (copies share it). */
    private Broadcast<ScoringPayload> broadcast(SparkSession spark) {
        return driver().broadcast(new JavaSparkContext(spark.sparkContext()));
    }

    private synchronized ScoringDriver driver() {
        if (driver == null) {
            driver = new ScoringDriver(new ScoringPayload(key, factory, stateDict));
        }
        return driver;
    }

    // ------------------------------------------------------------------ persistence and copies

    @Override
    public MLWriter write() {
        return new KilnModelIO.Writer(this);
    }

    /** Spark ML's reader (also what {@code PipelineModel.load} calls). */
    public static MLReader<KilnModel> read() {
        return new KilnModelIO.Reader();
    }

    /** Loads a model saved with {@code write().save(path)} from any Hadoop FileSystem path. */
    public static KilnModel load(String path) {
        return read().load(path);
    }

    @Override
    public KilnModel copy(ParamMap extra) {
        KilnModel copy = new KilnModel(uid, factory, spec, stateDict, history, key);
        copy.driver = driver; // same weights: share the built driver model and the broadcast
        copyValues(copy, extra);
        return copy.setParent(parent());
    }

    @Override
    public String toString() {
        return "KilnModel: uid=" + uid + ", architecture=" + (spec != null ? spec : "lambda " + factory.getClass()
                .getName()) + ", weights=" + stateDict.length + " bytes";
    }

    // ------------------------------------------------------------------ params (Spark ML style)

    public Param<String> featuresCol() { return featuresCol; }
    public StringArrayParam featuresCols() { return featuresCols; }
    public Param<String> predictionCol() { return predictionCol; }
    public Param<String> probabilityCol() { return probabilityCol; }
    public Param<String> rawPredictionCol() { return rawPredictionCol; }
    public IntParam batchSize() { return batchSize; }
    public Param<String> outputMode() { return outputMode; }
    public Param<String> handleInvalid() { return handleInvalid; }
    public IntParam numFeatures() { return numFeatures; }
    public Param<String> device() { return device; }
    public String getFeaturesCol() { return $(featuresCol); }
    public String[] getFeaturesCols() { return $(featuresCols); }
    public String getPredictionCol() { return $(predictionCol); }
    public String getProbabilityCol() { return $(probabilityCol); }
    public String getRawPredictionCol() { return $(rawPredictionCol); }
    public int getBatchSize() { return (Integer) $(batchSize); }
    public String getOutputMode() { return $(outputMode); }
    public String getHandleInvalid() { return $(handleInvalid); }
    public int getNumFeatures() { return (Integer) $(numFeatures); }
    public String getDevice() { return $(device); }
    public KilnModel setFeaturesCol(String v) { set(featuresCol, v); return this; }
    public KilnModel setFeaturesCols(String... v) { set(featuresCols, v); return this; }
    public KilnModel setPredictionCol(String v) { set(predictionCol, v); return this; }
    public KilnModel setProbabilityCol(String v) { set(probabilityCol, v); return this; }
    public KilnModel setRawPredictionCol(String v) { set(rawPredictionCol, v); return this; }
    public KilnModel setBatchSize(int v) { set(batchSize, v); return this; }
    public KilnModel setOutputMode(String v) { set(outputMode, v.toLowerCase(Locale.ROOT)); return this; }
    public KilnModel setHandleInvalid(String v) { set(handleInvalid, v); return this; }
    public KilnModel setNumFeatures(int v) { set(numFeatures, v); return this; }
    /**
     * Where each scoring task runs the model ({@link #transform} and the UDFs): {@code cpu}; {@code cuda}, the GPU Spark
     * assigned to the task (fails naming what is missing when there is none or CUDA cannot be used there); or
     * {@code auto} (the default), that GPU when there is one and CUDA works, else the CPU. On a GPU, {@code transform}
     * copies each batch's features to the device once and its outputs back once; the UDFs do so once per row. A model
     * fitted by {@link KilnEstimator} starts with the estimator's device.
     */
    public KilnModel setDevice(String v) { set(device, DeviceParam.normalize(v)); return this; }
}
