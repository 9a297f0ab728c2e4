package dev.kiln.examples.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job as a user runs it: a separate JVM (so exit codes are the real {@code System.exit} ones, and the job's
 * models and Spark live and die there), on tiny MNIST-format IDX files written here (200 train, 100 test images of
 * noise), so the whole path runs in seconds: IDX → Parquet → Spark → 2 barrier workers → save/load → transform + SQL
 * UDF → confusion matrix → PNG. Accuracy on noise means nothing; the 99% run is the README's, by hand.
 */
class MnistJobTest extends KilnTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void tinyMnist() throws IOException {
        Path idx = Files.createDirectories(dir.resolve("idx"));
        writeSplit(idx, "train", 200, 1);
        writeSplit(idx, "t10k", 100, 2);
    }

    private static void writeSplit(Path idx, String split, int n, long seed) throws IOException {
        Random rng = new Random(seed);
        try (DataOutputStream images = new DataOutputStream(Files.newOutputStream(idx.resolve(split
                + "-images-idx3-ubyte")));
             DataOutputStream labels = new DataOutputStream(Files.newOutputStream(idx.resolve(split
                     + "-labels-idx1-ubyte")))) {
            images.writeInt(0x803);
            images.writeInt(n);
            images.writeInt(28);
            images.writeInt(28);
            labels.writeInt(0x801);
            labels.writeInt(n);
            byte[] pixels = new byte[784];
            for (int i = 0; i < n; i++) {
                rng.nextBytes(pixels);
                images.write(pixels);
                labels.writeByte(i % 10);
            }
        }
    }

    private record Run(int exit, String output) {
    }

    private static Run job(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-Dio.netty")) {
                cmd.add(a); // the options surefire gives this JVM: Arrow's and Spark's
            }
        }
        cmd.addAll(List.of("-Xmx2g", "-Djava.awt.headless=true", "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                MnistJob.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes(); // drains while it runs; ends when the JVM exits
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the job did not exit within 5 minutes:\n" + new String(out,
                    StandardCharsets.UTF_8));
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static String[] common(String... more) {
        List<String> a = new ArrayList<>(List.of("--data", dir.resolve("idx").toString(), "--parquet",
                dir.resolve("parquet").toString(), "--out", dir.resolve("out").toString(), "--epochs", "1",
                "--batch-size", "16"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void trainsSavesReloadsAndScoresEndToEnd() throws Exception {
        Run r = job(common("--master", "local[2]", "--workers", "2"));
        assertEquals(0, r.exit, r.output);
        for (String expected : new String[] {"train 200 rows", "Kiln epoch 1/1", "model saved to",
            "test accuracy via KilnModel.transform", "test accuracy via SQL mnist_classify(features)",
            "rows where the two disagree: 0", "confusion matrix (rows: true digit", "wall time by phase"}) {
            assertTrue(r.output.contains(expected), "missing '" + expected + "' in:\n" + r.output);
        }
        assertTrue(Files.size(dir.resolve("out/mnist-cnn.png")) > 10_000, "the PNG is drawn");
        assertTrue(Files.exists(dir.resolve("out/model/data/weights.safetensors")), "the saved model's weights");
        assertTrue(Files.readString(dir.resolve("out/model/metadata/part-00000")).contains(MnistInput.class.getName()),
                "the architecture is saved as data");
        assertTrue(Files.exists(dir.resolve("parquet/train.parquet")));
    }

    @Test
    void tooFewTaskSlotsFailsWithACountAndExitOne() throws Exception {
        Run r = job(common("--master", "local[1]", "--workers", "2"));
        assertEquals(1, r.exit, r.output);
        assertTrue(r.output.contains("mnist failed: ") && r.output.contains("numWorkers=2 needs 2 task slots"),
                r.output);
    }

    @Test
    void missingDataFailsBeforeSparkStartsAndSaysHowToFetchIt() throws Exception {
        Run r = job("--data", dir.resolve("nowhere").toString(), "--parquet", dir.resolve("pq-none").toString());
        assertEquals(1, r.exit, r.output);
        assertTrue(r.output.contains("does not exist; run examples/scripts/fetch-mnist.sh"), r.output);
        assertTrue(!r.output.contains("SparkContext"), "no Spark start-up before the check:\n" + r.output);
    }

    @Test
    void badFlagExitsTwoNamingTheFlag() throws Exception {
        Run r = job("--workers", "0");
        assertEquals(2, r.exit, r.output);
        assertTrue(r.output.contains("mnist: --workers: expected a whole number >= 1, got '0'"), r.output);
    }
}
