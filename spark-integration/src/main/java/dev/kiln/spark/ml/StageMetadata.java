package dev.kiln.spark.ml;

import dev.kiln.checkpoint.Json;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.Params;

/**
 * A saved stage's {@code metadata/part-00000}: one line of JSON with the fields Spark's {@code DefaultParamsWriter}
 * writes ({@code class, timestamp, sparkVersion, uid, paramMap, defaultParamMap}), so {@code PipelineModel.load}
 * finds our class and calls its {@code read()}, plus Kiln's own fields. Read with Kiln's strict JSON parser: the file
 * is untrusted input, and nothing in it is ever Java-deserialized.
 */
final class StageMetadata {
    static final String DIR = "metadata";
    static final String FILE = "part-00000";

    private StageMetadata() {
    }

    /** Spark's fields for {@code stage} (explicitly set params, then defaults), followed by {@code extra}. */
    static Map<String, Object> of(Params stage, String sparkVersion, Map<String, Object> extra) {
        Map<String, Object> set = new LinkedHashMap<>();
        Map<String, Object> defaults = new LinkedHashMap<>();
        for (Param<?> p : stage.params()) {
            @SuppressWarnings("unchecked")
            Param<Object> param = (Param<Object>) p;
            if (stage.isSet(param)) {
                set.put(param.name(), parse(param.jsonEncode(stage.getOrDefault(param)), param.name()));
            }
            if (stage.hasDefault(param)) {
                defaults.put(param.name(), parse(param.jsonEncode(stage.getDefault(param).get()), param.name()));
            }
        }
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("class", stage.getClass().getName());
        md.put("timestamp", System.currentTimeMillis());
        md.put("sparkVersion", sparkVersion);
        md.put("uid", stage.uid());
        md.put("paramMap", set);
        md.put("defaultParamMap", defaults);
        md.putAll(extra);
        return md;
    }

    private static Object parse(String json, String param) {
        try {
            return Json.parse(json);
        } catch (Json.ParseException e) {
            throw new IllegalStateException("param " + param + " encoded as invalid JSON: " + json, e);
        }
    }

    static void write(FileSystem fs, Path stageDir, Map<String, Object> metadata) throws IOException {
        fs.mkdirs(new Path(stageDir, DIR));
        ModelDir.writeText(fs, new Path(new Path(stageDir, DIR), FILE), Json.write(metadata) + "\n");
    }

    /**
     * Reads and checks the metadata of the stage saved at {@code path}; errors name the path and what is wrong
     * (missing, not a saved stage, corrupt JSON, another class).
     */
    static Map<String, Object> read(String path, Configuration conf, Class<?> expected) {
        String what = "cannot load a " + expected.getSimpleName() + " from '" + path + "': ";
        try {
            Path dir = new Path(path);
            FileSystem fs = dir.getFileSystem(conf);
            if (!fs.exists(dir)) {
                throw new IllegalArgumentException(what + "the path does not exist");
            }
            Path file = metadataFile(fs, new Path(dir, DIR), what);
            byte[] bytes = ModelDir.readBytes(fs, file, ModelDir.MAX_METADATA_BYTES);
            Object parsed;
            try {
                parsed = Json.parse(new String(bytes, StandardCharsets.UTF_8).trim());
            } catch (Json.ParseException e) {
                throw new IllegalArgumentException(what + "corrupt metadata in " + file + ": " + e.getMessage(), e);
            }
            if (!(parsed instanceof Map<?, ?> m) || !(m.get("class") instanceof String cls)
                    || !(m.get("uid") instanceof String)) {
                throw new IllegalArgumentException(what + "corrupt metadata in " + file + ": expected a JSON object "
                        + "with \"class\" and \"uid\"");
            }
            if (!cls.equals(expected.getName())) {
                throw new IllegalArgumentException(what + "it holds a " + cls + ", not a " + expected.getName());
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> md = (Map<String, Object>) m;
            return md;
        } catch (IOException e) {
            throw new IllegalArgumentException(what + e.getMessage(), e);
        }
    }

    private static Path metadataFile(FileSystem fs, Path metadataDir, String what) throws IOException {
        FileStatus[] files;
        try {
            files = fs.listStatus(metadataDir);
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException(what + "it is not a saved Spark ML stage (" + metadataDir
                    + " is missing)");
        }
        return Arrays.stream(files).filter(f -> f.isFile() && !f.getPath().getName().startsWith("_")
                        && !f.getPath().getName().startsWith(".")).map(FileStatus::getPath)
                .min(Comparator.comparing(Path::getName))
                .orElseThrow(() -> new IllegalArgumentException(what + metadataDir + " holds no metadata file"));
    }

    /** The saved explicitly-set params as a ParamMap of {@code stage}'s params; an unknown name is an error. */
    static ParamMap params(Params stage, Map<String, Object> metadata, String path) {
        ParamMap out = new ParamMap();
        if (!(metadata.get("paramMap") instanceof Map<?, ?> saved)) {
            throw new IllegalArgumentException("corrupt metadata in " + path + ": \"paramMap\" must be an object");
        }
        for (Map.Entry<?, ?> e : saved.entrySet()) {
            String name = (String) e.getKey();
            if (!stage.hasParam(name)) {
                throw new IllegalArgumentException("the model at " + path + " sets param '" + name + "', which this "
                        + "version's " + stage.getClass().getSimpleName() + " does not have");
            }
            @SuppressWarnings("unchecked")
            Param<Object> p = (Param<Object>) stage.getParam(name);
            try {
                out.put(p, p.jsonDecode(Json.write(e.getValue()))); // put validates the value (ParamPair)
            } catch (RuntimeException ex) {
                throw new IllegalArgumentException("corrupt metadata in " + path + ": param '" + name + "' = "
                        + Json.write(e.getValue()) + ": " + ex.getMessage(), ex);
            }
        }
        return out;
    }
}
