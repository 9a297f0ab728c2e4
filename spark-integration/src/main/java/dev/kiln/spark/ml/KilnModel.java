package dev.kiln.spark.ml;

import dev.kiln.autograd.Autograd;
import dev.kiln.nn.Module;
import dev.kiln.spark.train.ModelFactory;
import dev.kiln.spark.train.Progress;
import dev.kiln.spark.train.StateDictBytes;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.List;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A trained Kiln model as a Spark ML {@link Model}: the architecture's factory plus the trained weights (safetensors
 * bytes of the state dict), and the per-epoch training history. {@link #predict(Tensor)} runs it on a tensor in
 * eval mode without autograd; {@link #transform} appends a prediction column.
 */
public final class KilnModel extends Model<KilnModel> {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final ModelFactory factory;
    private final byte[] stateDict;
    private final List<Progress.Epoch> history;
    private transient Module module;

    private final Param<String> featuresCol;
    private final StringArrayParam featuresCols;
    private final Param<String> predictionCol;
    private final IntParam batchSize;

    KilnModel(String uid, ModelFactory factory, byte[] stateDict, List<Progress.Epoch> history) {
        this.uid = uid;
        this.factory = factory;
        this.stateDict = stateDict;
        this.history = history == null ? List.of() : List.copyOf(history);
        featuresCol = new Param<>(this, "featuresCol", "features column: a Vector or an array of numbers");
        featuresCols = new StringArrayParam(this, "featuresCols", "several numeric feature columns");
        predictionCol = new Param<>(this, "predictionCol", "prediction column name");
        batchSize = new IntParam(this, "batchSize", "rows per inference batch", ParamValidators.gtEq(1));
        setDefault(featuresCol, "features");
        setDefault(predictionCol, "prediction");
        setDefault(batchSize, 1024);
    }

    /** Wraps weights trained anywhere (plain Java, PyTorch via safetensors) for a model built by {@code factory}. */
    public static KilnModel of(ModelFactory factory, byte[] safetensorsStateDict) {
        KilnModel m = new KilnModel(org.apache.spark.ml.util.Identifiable.randomUID("kilnModel"), factory,
                safetensorsStateDict.clone(), List.of());
        m.module(); // validate now: the weights must fit the architecture
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

    /** Per-epoch loss/accuracy/throughput of the run that trained this model (empty if it was not trained here). */
    public List<Progress.Epoch> history() {
        return history;
    }

    public ModelFactory modelFactory() {
        return factory;
    }

    /** The module with the trained weights, built once per model object; do not close it. */
    synchronized Module module() {
        if (module == null) {
            Module m = factory.create();
            try (TensorScope scope = TensorScope.open()) {
                StateDictBytes.load(stateDict, m);
            }
            m.eval();
            module = m;
        }
        return module;
    }

    /** Runs the model on {@code input} in eval mode under {@code noGrad}; the result belongs to the caller's scope. */
    public Tensor predict(Tensor input) {
        Module m = module();
        synchronized (m) {
            try (var noGrad = Autograd.noGrad()) {
                return m.forward(input);
            }
        }
    }

    /**
     * Appends {@code predictionCol}: the arg-max class for multi-column outputs, the value for single outputs.
     * NOTE: row at a time through a UDF for now; the batched, broadcast-once path is the inference issue's.
     */
    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        KilnModel self = this;
        UserDefinedFunction predict = functions.udf((UDF1<Object, Double>) features -> self.predictRow(features),
                DataTypes.DoubleType);
        return dataset.withColumn(getPredictionCol(), predict.apply(functions.col(getFeaturesCol())));
    }

    private double predictRow(Object features) {
        float[] x;
        if (features instanceof Vector v) {
            double[] d = v.toArray();
            x = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                x[i] = (float) d[i];
            }
        } else if (features instanceof scala.collection.Seq<?> seq) {
            x = new float[seq.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = ((Number) seq.apply(i)).floatValue();
            }
        } else {
            throw new IllegalArgumentException("features must be a Vector or an array of numbers, got "
                    + (features == null ? "null" : features.getClass().getName()));
        }
        try (TensorScope scope = TensorScope.open()) {
            Tensor out = predict(Tensor.of(x).view(1, x.length));
            return out.size(-1) == 1 ? out.item() : out.argmax(-1, false).item();
        }
    }

    static StructType withPrediction(StructType schema, String predictionCol) {
        for (StructField f : schema.fields()) {
            if (f.name().equals(predictionCol)) {
                throw new IllegalArgumentException("output column '" + predictionCol + "' already exists");
            }
        }
        return schema.add(predictionCol, DataTypes.DoubleType, false);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return withPrediction(schema, getPredictionCol());
    }

    @Override
    public KilnModel copy(ParamMap extra) {
        KilnModel copy = new KilnModel(uid, factory, stateDict, history);
        copyValues(copy, extra);
        return copy.setParent(parent());
    }

    public Param<String> featuresCol() { return featuresCol; }
    public StringArrayParam featuresCols() { return featuresCols; }
    public Param<String> predictionCol() { return predictionCol; }
    public IntParam batchSize() { return batchSize; }
    public String getFeaturesCol() { return $(featuresCol); }
    public String getPredictionCol() { return $(predictionCol); }
    public int getBatchSize() { return (Integer) $(batchSize); }
    public KilnModel setFeaturesCol(String v) { set(featuresCol, v); return this; }
    public KilnModel setPredictionCol(String v) { set(predictionCol, v); return this; }
    public KilnModel setBatchSize(int v) { set(batchSize, v); return this; }
}
