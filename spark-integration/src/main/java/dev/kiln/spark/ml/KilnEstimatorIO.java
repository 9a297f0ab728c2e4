package dev.kiln.spark.ml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;

/**
 * Saving and loading an unfitted {@link KilnEstimator} (e.g. inside a saved {@code Pipeline}): its params and its
 * architecture, which must be a {@link ModelSpec} — a lambda factory cannot be saved (see {@link ModelSpec} for why
 * and the rule). Layout: {@code metadata/part-00000} only, with Spark's stage fields plus {@code kilnVersion},
 * {@code kilnFormat} and {@code architecture}, written atomically like a model ({@link ModelDir}).
 */
final class KilnEstimatorIO {
    private KilnEstimatorIO() {
    }

    static final class Writer extends MLWriter {
        private final KilnEstimator estimator;

        Writer(KilnEstimator estimator) {
            this.estimator = estimator;
        }

        @Override
        public void save(String path) throws IOException {
            write(path, shouldOverwrite());
        }

        @Override
        public void saveImpl(String path) {
            try {
                write(path, true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void write(String path, boolean overwrite) throws IOException {
            if (!(estimator.getModelFactory() instanceof ModelSpec spec)) {
                throw new IllegalStateException("cannot save KilnEstimator " + estimator.uid() + ": its model factory "
                        + (estimator.getModelFactory() == null ? "is not set" : "is a lambda, and saving code would "
                        + "mean Java-deserializing it on load, which Kiln refuses")
                        + ". Describe the architecture as data: setModelFactory(ModelSpec.mlp(784, 128, 10)) or "
                        + "ModelSpec.of(\"dev.kiln.nn.Sequential\", ModelSpec.of(\"Linear\", 784, 128), ...)");
            }
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("kilnVersion", ModelDir.kilnVersion());
            extra.put("kilnFormat", (long) KilnModelIO.FORMAT);
            extra.put("architecture", spec.toJsonValue());
            Map<String, Object> md = StageMetadata.of(estimator, sc().version(), extra);
            ModelDir.writeAtomically(path, overwrite, sc().hadoopConfiguration(),
                    (fs, dir) -> StageMetadata.write(fs, dir, md));
        }
    }

    static final class Reader extends MLReader<KilnEstimator> {
        @Override
        public KilnEstimator load(String path) {
            Map<String, Object> md = StageMetadata.read(path, sc().hadoopConfiguration(), KilnEstimator.class);
            ModelSpec spec;
            try {
                spec = ModelSpec.fromJsonValue(md.get("architecture"), "architecture");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot load a KilnEstimator from '" + path + "': "
                        + e.getMessage(), e);
            }
            KilnEstimator blank = new KilnEstimator((String) md.get("uid"));
            return blank.copy(StageMetadata.params(blank, md, path)).setModelFactory(spec);
        }
    }
}
