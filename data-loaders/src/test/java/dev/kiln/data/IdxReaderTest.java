package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest extends KilnTest {
    @TempDir
    Path dir;

    /** Writes an IDX file: magic, big-endian dims, then {@code data}; gzip-compressed when the name ends in .gz. */
    private Path idx(String name, int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(magic);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
        Path p = dir.resolve(name);
        try (OutputStream out = name.endsWith(".gz") ? new GZIPOutputStream(Files.newOutputStream(p))
                : Files.newOutputStream(p)) {
            out.write(bytes.toByteArray());
        }
        return p;
    }

    /** {@code n} images of 2x3 pixels with pixel j of image i = 40 * i + j, and 255 in the very last pixel. */
    private static byte[] pixels(int n) {
        byte[] b = new byte[n * 6];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (40 * (i / 6) + i % 6);
        }
        b[b.length - 1] = (byte) 255;
        return b;
    }

    @Test
    void readsImagesAsUint8AndScaledFloat() throws IOException {
        Path p = idx("imgs-idx3-ubyte", IdxReader.IMAGES_MAGIC, new int[] {2, 2, 3}, pixels(2));
        try (Tensor raw = IdxReader.readImages(p, false); Tensor scaled = IdxReader.readImages(p, true)) {
            assertEquals(DType.UINT8, raw.dtype());
            assertArrayEquals(new long[] {2, 2, 3}, raw.shape());
            assertEquals(41, raw.get(1, 0, 1));
            assertEquals(255, raw.get(1, 1, 2), "unsigned, not -1");
            assertEquals(DType.FLOAT32, scaled.dtype());
            assertEquals(41 / 255.0, scaled.get(1, 0, 1), 1e-6);
            assertEquals(1.0, scaled.get(1, 1, 2), 1e-6);
        }
    }

    @Test
    void readsGzippedLabelsAsInt64() throws IOException {
        Path p = idx("labels-idx1-ubyte.gz", IdxReader.LABELS_MAGIC, new int[] {4}, new byte[] {3, 1, 4, 9});
        try (Tensor y = IdxReader.readLabels(p)) {
            assertEquals(DType.INT64, y.dtype());
            assertArrayEquals(new long[] {3, 1, 4, 9}, y.toLongArray());
        }
    }

    @Test
    void datasetPairsImagesWithLabelsAndFeedsALoader() throws IOException {
        Path x = idx("x.gz", IdxReader.IMAGES_MAGIC, new int[] {3, 2, 3}, pixels(3));
        Path y = idx("y", IdxReader.LABELS_MAGIC, new int[] {3}, new byte[] {7, 8, 9});
        TensorDataset ds = IdxReader.dataset(x, y, true);
        try (var loader = DataLoader.builder(ds).batchSize(2).build(); Batch b = loader.iterator().next()) {
            assertArrayEquals(new long[] {2, 2, 3}, b.features().shape());
            assertArrayEquals(new long[] {7, 8}, b.labels().toLongArray());
        } finally {
            ds.tensors().forEach(Tensor::close);
        }
    }

    @Test
    void badMagicNamesTheFileAndBothNumbers() throws IOException {
        Path p = idx("labels-as-images", IdxReader.LABELS_MAGIC, new int[] {2}, new byte[] {0, 1});
        var e = assertThrows(IOException.class, () -> IdxReader.readImages(p, false));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("0x00000801")
                && e.getMessage().contains("0x00000803"), e.getMessage());
    }

    @Test
    void truncatedDataAndHeaderAreReported() throws IOException {
        Path data = idx("short", IdxReader.IMAGES_MAGIC, new int[] {2, 2, 3}, new byte[7]);
        var e = assertThrows(IOException.class, () -> IdxReader.readImages(data, false));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("12 bytes")
                && e.getMessage().contains("only 7") && e.getMessage().contains(data.toString()), e.getMessage());
        Path header = dir.resolve("header");
        Files.write(header, new byte[] {0, 0, 8, 3, 0, 0});
        var h = assertThrows(IOException.class, () -> IdxReader.readImages(header, false));
        assertTrue(h.getMessage().contains("header"), h.getMessage());
    }

    @Test
    void countMismatchBetweenImagesAndLabelsIsAnError() throws IOException {
        Path x = idx("x", IdxReader.IMAGES_MAGIC, new int[] {3, 2, 3}, pixels(3));
        Path y = idx("y", IdxReader.LABELS_MAGIC, new int[] {2}, new byte[] {1, 2});
        var e = assertThrows(IOException.class, () -> IdxReader.dataset(x, y, false));
        assertTrue(e.getMessage().contains("3 images") && e.getMessage().contains("2 labels"), e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        Path p = dir.resolve("nope");
        var e = assertThrows(IOException.class, () -> IdxReader.readLabels(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }
}
