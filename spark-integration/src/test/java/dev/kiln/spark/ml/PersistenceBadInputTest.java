package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.ml.feature.StandardScaler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a missing, foreign, corrupt or tampered model directory fails with the path and what is wrong. */
class PersistenceBadInputTest extends ScoringTestBase {
    private static final ModelSpec SPEC = ModelSpec.mlp(4, 16, 3);

    @TempDir
    Path dir;

    private Path saved(String name) {
        Path p = dir.resolve(name);
        try {
            modelOf(SPEC, 41).write().save(p.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    private static String loadError(Path p) {
        return message(() -> KilnModel.load(p.toString()));
    }

    private static void edit(Path file, String from, String to) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(text.contains(from), text);
        write(file, text.replace(from, to).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Replaces a file as a FileSystem without checksums would hold it (on file: Hadoop keeps a .crc next to each
     * file and would report the change as a checksum error first; see hadoopChecksumsCatchEditsFirst).
     */
    private static void write(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
        Files.deleteIfExists(file.resolveSibling("." + file.getFileName() + ".crc"));
    }

    @Test
    void hadoopChecksumsCatchEditsFirst() throws IOException {
        Path p = saved("crc");
        Path weights = p.resolve("data/weights.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 1] ^= 1;
        Files.write(weights, bytes);
        String m = loadError(p);
        assertTrue(m.contains("cannot read the weights: Checksum error: ") && m.contains("weights.safetensors"), m);
    }

    @Test
    void missingPathOrNotAModel() throws IOException {
        String m = loadError(dir.resolve("nothing"));
        assertTrue(m.contains("cannot load a KilnModel from '") && m.contains("nothing': the path does not exist"), m);
        Files.createDirectories(dir.resolve("empty"));
        m = loadError(dir.resolve("empty"));
        assertTrue(m.contains("it is not a saved Spark ML stage") && m.contains("empty/metadata is missing"), m);
        new StandardScaler().setInputCol("x").write().save(dir.resolve("scaler").toString());
        m = loadError(dir.resolve("scaler"));
        assertTrue(m.contains("it holds a org.apache.spark.ml.feature.StandardScaler, not a dev.kiln.spark.ml.KilnModel"),
                m);
    }

    @Test
    void corruptMetadataOrArchitecture() throws IOException {
        Path p = saved("m");
        Path md = p.resolve("metadata/part-00000");
        write(md, Files.readString(md).substring(0, 40).getBytes(StandardCharsets.UTF_8));
        String m = loadError(p);
        assertTrue(m.contains("corrupt metadata in") && m.contains("part-00000") && m.contains("at offset"), m);
        p = saved("runtime");
        edit(p.resolve("metadata/part-00000"), "\"class\":\"dev.kiln.nn.Sequential\"", "\"class\":\"java.lang.Runtime\"");
        m = loadError(p);
        assertTrue(m.contains("ModelSpec class 'java.lang.Runtime' is not a dev.kiln.nn.Module"), m);
        p = saved("param");
        edit(p.resolve("metadata/part-00000"), "\"paramMap\":{}", "\"paramMap\":{\"temperature\":2}");
        m = loadError(p);
        assertTrue(m.contains("sets param 'temperature', which this version's KilnModel does not have"), m);
        p = saved("batch");
        edit(p.resolve("metadata/part-00000"), "\"paramMap\":{}", "\"paramMap\":{\"batchSize\":-5}");
        m = loadError(p);
        assertTrue(m.contains("corrupt metadata in") && m.contains("param 'batchSize' = -5")
                && m.contains("given invalid value -5"), m);
    }

    @Test
    void truncatedOrAlteredWeightsAndAWrongArchitecture() throws IOException {
        Path p = saved("truncated");
        Path weights = p.resolve("data/weights.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        write(weights, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        String m = loadError(p);
        assertTrue(m.contains("weights.safetensors is truncated: " + (bytes.length - 10) + " bytes, expected "
                + bytes.length), m);
        p = saved("flipped");
        bytes[bytes.length - 1] ^= 1;
        write(p.resolve("data/weights.safetensors"), bytes);
        m = loadError(p);
        assertTrue(m.contains("weights.safetensors is corrupt: its SHA-256 differs"), m);
        p = saved("missing");
        Files.delete(p.resolve("data/weights.safetensors"));
        m = loadError(p);
        assertTrue(m.contains("cannot read the weights") && m.contains("does not exist"), m);
        p = saved("architecture");
        edit(p.resolve("metadata/part-00000"), "\"args\":[16,3]", "\"args\":[16,5]},{\"class\":\"dev.kiln.nn.ReLU\"},"
                + "{\"class\":\"dev.kiln.nn.Linear\",\"args\":[5,3]");
        m = loadError(p);
        assertTrue(m.contains("do not fit the architecture Sequential(Linear(4, 16), ReLU(), Linear(16, 5), ReLU(), "
                + "Linear(5, 3))") && m.contains("Missing key(s) in state_dict: \"4.weight\", \"4.bias\"")
                && m.contains("size mismatch for 2.weight"), m);
    }
}
