package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.checkpoint.Safetensors;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Weights trained in real PyTorch 1.13 (src/test/python/gen_torch_classifier.py: a state_dict written as safetensors,
 * with PyTorch's eval-mode outputs on fixed inputs) load into the same architecture as a ModelSpec and score the same.
 */
class PyTorchParityTest extends ScoringTestBase {
    static final ModelSpec ARCHITECTURE = ModelSpec.sequential(ModelSpec.of("Linear", 6, 16),
            ModelSpec.of("BatchNorm1d", 16), ModelSpec.of("ReLU"), ModelSpec.of("Linear", 16, 16),
            ModelSpec.of("GELU"), ModelSpec.of("Linear", 16, 4));

    static byte[] resource(String name) throws IOException {
        try (InputStream in = PyTorchParityTest.class.getResourceAsStream("/dev/kiln/spark/torch/" + name)) {
            return in.readAllBytes();
        }
    }

    private static LinkedHashMap<String, Tensor> expected() throws IOException, URISyntaxException {
        return Safetensors.load(Path.of(PyTorchParityTest.class.getResource(
                "/dev/kiln/spark/torch/torch_expected.safetensors").toURI()));
    }

    @Test
    void torchWeightsPredictWhatTorchPredicted() throws Exception {
        KilnModel model = KilnModel.of(ARCHITECTURE, resource("torch_classifier.safetensors"));
        LinkedHashMap<String, Tensor> expected = expected();
        Tensor inputs = expected.get("inputs");
        float[] logits = expected.get("logits").toFloatArray();
        float[] probability = expected.get("probability").toFloatArray();
        double[] prediction = expected.get("prediction").toDoubleArray(); // int64 class indices
        int n = (int) inputs.size(0);
        float[] predicted = model.predict(inputs).toFloatArray();
        for (int i = 0; i < logits.length; i++) {
            assertEquals(logits[i], predicted[i], 2e-5, "logit " + i);
        }
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("features",
                SQLDataTypes.VectorType());
        float[] x = inputs.toFloatArray();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] v = new double[6];
            for (int j = 0; j < 6; j++) {
                v[j] = x[i * 6 + j];
            }
            rows.add(RowFactory.create(i, Vectors.dense(v)));
        }
        List<Row> scored = model.setBatchSize(5).transform(spark.createDataFrame(rows, schema).repartition(3))
                .orderBy("id").collectAsList();
        for (int i = 0; i < n; i++) {
            Row r = scored.get(i);
            assertEquals(prediction[i], (double) r.getAs("prediction"), "row " + i);
            double[] p = ((Vector) r.getAs("probability")).toArray();
            for (int j = 0; j < 4; j++) {
                assertEquals(probability[i * 4 + j], p[j], 2e-5, "probability " + i + "," + j);
            }
        }
        expected.values().forEach(Tensor::close);
    }

    @Test
    void anIncompatibleArchitectureFailsLikeLoadStateDict() throws Exception {
        byte[] weights = resource("torch_classifier.safetensors");
        String m = message(() -> KilnModel.of(ModelSpec.mlp(6, 16, 16, 4), weights));
        assertTrue(m.contains("Error(s) in loading state_dict for Sequential") && m.contains("Missing key(s) in "
                + "state_dict: \"2.weight\", \"2.bias\", \"4.weight\", \"4.bias\"") && m.contains("Unexpected "
                + "key(s) in state_dict: ") && m.contains("\"1.running_mean\", \"1.running_var\""), m);
    }
}
