package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.ml.param.ParamMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scoring {@code device} param: validated like the estimator's, saved with the model, absent in old saves. */
class KilnModelDeviceParamTest extends ScoringTestBase {
    private static final ModelSpec SPEC = ModelSpec.mlp(4, 8, 3);

    @TempDir
    Path dir;

    private static void assertNamesTheParamAndItsValues(String m, String bad) {
        assertTrue(m.contains("param 'device' must be one of cpu, cuda, auto") && m.contains("got '" + bad + "'"), m);
    }

    @Test
    void aBadDeviceIsRefusedWhereverItIsSet() {
        KilnModel model = modelOf(SPEC, 1);
        assertEquals("auto", model.getDevice());
        assertNamesTheParamAndItsValues(message(() -> model.setDevice("gpu")), "gpu");
        assertNamesTheParamAndItsValues(message(() -> model.setDevice("cuda:1")), "cuda:1");
        assertTrue(message(() -> model.setDevice("gpu")).startsWith(model.uid()));
        assertNamesTheParamAndItsValues(message(() -> new ParamMap().put(model.device(), "tpu")), "tpu");
        assertEquals("auto", model.getDevice(), "a refused value leaves the param as it was");
        assertEquals("cuda", model.setDevice(" CUDA ").getDevice(), "case and spaces do not matter");
        assertEquals("cpu", model.copy(new ParamMap().put(model.device(), "cpu")).getDevice());

        KilnEstimator estimator = new KilnEstimator();
        assertNamesTheParamAndItsValues(message(() -> estimator.setDevice("gpu")), "gpu");
        assertEquals("cpu", estimator.setDevice("CPU").getDevice());
    }

    @Test
    void aFittedModelScoresWhereItsEstimatorTrained() {
        KilnModel model = new KilnEstimator().setModelFactory(SPEC).setEpochs(1).setBatchSize(8).setDevice("cpu")
                .fit(Blobs.frame(spark, Blobs.rows(24, 4, 3, 5), 1));
        assertEquals("cpu", model.getDevice());
        assertEquals(KilnModel.DEFAULT_BATCH_SIZE, model.getBatchSize());
    }

    @Test
    void theDeviceIsSavedAndOldModelsWithoutItLoadAsAuto() throws IOException {
        Path saved = dir.resolve("cpu");
        modelOf(SPEC, 2).setDevice("cpu").write().save(saved.toString());
        assertEquals("cpu", KilnModel.load(saved.toString()).getDevice());

        Path old = dir.resolve("old");
        modelOf(SPEC, 3).write().save(old.toString());
        Path md = old.resolve("metadata/part-00000");
        String text = Files.readString(md, StandardCharsets.UTF_8);
        assertTrue(text.contains(",\"device\":\"auto\""), text);
        rewrite(md, text.replace(",\"device\":\"auto\"", "")); // as saved before the param existed
        assertEquals("auto", KilnModel.load(old.toString()).getDevice());

        Path bad = dir.resolve("bad");
        modelOf(SPEC, 4).setDevice("cuda").write().save(bad.toString());
        md = bad.resolve("metadata/part-00000");
        rewrite(md, Files.readString(md, StandardCharsets.UTF_8).replace("\"device\":\"cuda\"", "\"device\":\"gpu\""));
        String m = assertThrows(IllegalArgumentException.class, () -> KilnModel.load(bad.toString())).getMessage();
        assertTrue(m.contains("corrupt metadata in") && m.contains("param 'device' = \"gpu\""), m);
        assertNamesTheParamAndItsValues(m, "gpu");
    }

    /** Replaces a file as a FileSystem without checksums would (Hadoop's .crc would report the edit first). */
    private static void rewrite(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.deleteIfExists(file.resolveSibling("." + file.getFileName() + ".crc"));
    }
}
