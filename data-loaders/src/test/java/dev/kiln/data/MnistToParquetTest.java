package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.testing.KilnTest;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistToParquetTest extends KilnTest {
    @TempDir
    Path dir;

    private Path idx(String name, int magic, int[] dims, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(p))) {
            out.writeInt(magic);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
        return p;
    }

    @Test
    void writesSparkLayoutAndReadsBackThePixels() throws IOException {
        byte[] pixels = new byte[3 * 784];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 7);
        }
        Path images = idx("img", IdxReader.IMAGES_MAGIC, new int[] {3, 28, 28}, pixels);
        Path labels = idx("lbl", IdxReader.LABELS_MAGIC, new int[] {3}, new byte[] {7, 0, 9});
        String out = dir.resolve("mnist.parquet").toString();
        assertEquals(3, MnistToParquet.convert(images, labels, out));

        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(out), ParquetFiles.localConfiguration()))) {
            MessageType schema = r.getFileMetaData().getSchema();
            assertEquals("list<float>", ParquetColumn.describe(schema.getType("features")));
            assertEquals("int32", ParquetColumn.describe(schema.getType("label")));
        }
        try (ParquetDataset ds = ParquetDataset.builder(out).features("features").label("label").batchSize(3).build()) {
            for (Batch b : ds) {
                try (b) {
                    assertArrayEquals(new long[] {3, 784}, b.features().shape());
                    float[] x = b.features().contiguous().toFloatArray();
                    for (int i = 0; i < x.length; i++) {
                        assertEquals((pixels[i] & 0xff) / 255f, x[i], 1e-7f, "pixel " + i);
                    }
                    assertArrayEquals(new long[] {7, 0, 9}, b.labels().toLongArray());
                }
            }
        }
    }
}
