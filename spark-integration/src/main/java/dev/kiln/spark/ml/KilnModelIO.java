package dev.kiln.spark.ml;

import dev.kiln.spark.train.Progress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;

/**
 * Saving and loading a {@link KilnModel}. The format (version 1), under the model's directory:
 *
 * <pre>
 * metadata/part-00000        one line of JSON: Spark's stage fields (class, timestamp, sparkVersion, uid, paramMap,
 *                            defaultParamMap) and Kiln's: kilnVersion, kilnFormat (1), architecture (a ModelSpec),
 *                            weights {file, bytes, sha256}, history (per-epoch metrics of the training run)
 * data/weights.safetensors   the state dict; PyTorch reads it with safetensors.torch.load_file
 * </pre>
 *
 * The directory is written whole into a hidden sibling and renamed into place ({@link ModelDir}). Loading checks,
 * in order: the path exists, the metadata parses and names KilnModel, the architecture is a valid {@link ModelSpec},
 * the weights file has the recorded size and SHA-256, and the weights load strictly into the architecture (PyTorch's
 * {@code load_state_dict} errors: missing and unexpected keys, shape mismatches).
 */
final class KilnModelIO {
    static final int FORMAT = 1;
    static final String WEIGHTS = "data/weights.safetensors";
    /** Refuse weights files larger than this (a corrupt size field must not allocate without bound). */
    static final long MAX_WEIGHTS_BYTES = Integer.MAX_VALUE - 16;

    private KilnModelIO() {
    }

    static final class Writer extends MLWriter {
        private final KilnModel model;

        Writer(KilnModel model) {
            this.model = model;
        }

        @Override
        public void save(String path) throws IOException {
            write(path, shouldOverwrite());
        }

        @Override
        public void saveImpl(String path) {
            try {
                write(path, true); // Spark's save() has already cleared the path
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private void write(String path, boolean overwrite) throws IOException {
            ModelSpec spec = model.specForSaving();
            byte[] weights = model.weights();
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("kilnVersion", ModelDir.kilnVersion());
            extra.put("kilnFormat", (long) FORMAT);
            extra.put("architecture", spec.toJsonValue());
            extra.put("weights", Map.of("file", WEIGHTS, "bytes", (long) weights.length,
                    "sha256", ModelDir.sha256(weights)));
            extra.put("history", historyJson(model.history()));
            Map<String, Object> md = StageMetadata.of(model, sc().version(), extra);
            Configuration conf = sc().hadoopConfiguration();
            ModelDir.writeAtomically(path, overwrite, conf, (fs, dir) -> {
                StageMetadata.write(fs, dir, md);
                ModelDir.writeBytes(fs, new Path(dir, WEIGHTS), weights);
            });
        }
    }

    static final class Reader extends MLReader<KilnModel> {
        @Override
        public KilnModel load(String path) {
            return KilnModelIO.load(path, sc().hadoopConfiguration());
        }
    }

    static KilnModel load(String path, Configuration conf) {
        Map<String, Object> md = StageMetadata.read(path, conf, KilnModel.class);
        String what = "cannot load a KilnModel from '" + path + "': ";
        Object format = md.get("kilnFormat");
        if (!(format instanceof Long f) || f < 1 || f > FORMAT) {
            throw new IllegalArgumentException(what + "unsupported kilnFormat " + format + " (this Kiln "
                    + ModelDir.kilnVersion() + " reads format 1 to " + FORMAT + ")");
        }
        ModelSpec spec;
        try {
            spec = ModelSpec.fromJsonValue(md.get("architecture"), "architecture");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + e.getMessage(), e);
        }
        byte[] weights = readWeights(md, path, conf, what);
        KilnModel model;
        try {
            model = KilnModel.restore((String) md.get("uid"), spec, weights, history(md.get("history")));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(what + "the weights in " + WEIGHTS + " do not fit the architecture "
                    + spec + ": " + e.getMessage(), e);
        }
        return model.copy(StageMetadata.params(model, md, path));
    }

    private static byte[] readWeights(Map<String, Object> md, String path, Configuration conf, String what) {
        if (!(md.get("weights") instanceof Map<?, ?> w) || !(w.get("bytes") instanceof Long size)
                || !(w.get("sha256") instanceof String sha)) {
            throw new IllegalArgumentException(what + "corrupt metadata: \"weights\" needs bytes and sha256");
        }
        Path file = new Path(path, WEIGHTS);
        byte[] bytes;
        try {
            FileSystem fs = file.getFileSystem(conf);
            bytes = ModelDir.readBytes(fs, file, Math.min(MAX_WEIGHTS_BYTES, size));
        } catch (IOException e) {
            throw new IllegalArgumentException(what + "cannot read the weights: " + e.getMessage(), e);
        }
        if (bytes.length != size) {
            throw new IllegalArgumentException(what + file + " is truncated: " + bytes.length + " bytes, expected "
                    + size);
        }
        if (!ModelDir.sha256(bytes).equals(sha)) {
            throw new IllegalArgumentException(what + file + " is corrupt: its SHA-256 differs from the one recorded "
                    + "at save time");
        }
        return bytes;
    }

    static List<Object> historyJson(List<Progress.Epoch> history) {
        List<Object> out = new ArrayList<>();
        for (Progress.Epoch e : history) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("epoch", (long) e.epoch());
            m.put("epochs", (long) e.epochs());
            m.put("loss", finite(e.loss()));
            m.put("accuracy", finite(e.accuracy()));
            m.put("samples", e.samples());
            m.put("seconds", finite(e.seconds()));
            m.put("etaSeconds", finite(e.etaSeconds()));
            out.add(m);
        }
        return out;
    }

    /** JSON has no NaN: null stands for it (accuracy is NaN for regression). */
    private static Object finite(double v) {
        return Double.isFinite(v) ? (Object) v : null;
    }

    static List<Progress.Epoch> history(Object json) {
        List<Progress.Epoch> out = new ArrayList<>();
        if (!(json instanceof List<?> list)) {
            return out;
        }
        for (Object o : list) {
            if (o instanceof Map<?, ?> m) {
                out.add(new Progress.Epoch((int) number(m.get("epoch")), (int) number(m.get("epochs")),
                        number(m.get("loss")), number(m.get("accuracy")), (long) number(m.get("samples")),
                        number(m.get("seconds")), number(m.get("etaSeconds"))));
            }
        }
        return out;
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
