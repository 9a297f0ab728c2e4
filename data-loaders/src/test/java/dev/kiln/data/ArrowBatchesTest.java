package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrowBatchesTest extends KilnTest {
    @TempDir
    Path dir;

    /** Columns a (float32: i), b (float64: 10 i), label (int64: i % 3), emb (fixed-size list of 2 float32). */
    private VectorSchemaRoot table(int rows) {
        Float4Vector a = new Float4Vector("a", allocator);
        Float8Vector b = new Float8Vector("b", allocator);
        BigIntVector label = new BigIntVector("label", allocator);
        FixedSizeListVector emb = FixedSizeListVector.empty("emb", 2, allocator);
        emb.addOrGetVector(FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)));
        Float4Vector embData = (Float4Vector) emb.getDataVector();
        a.allocateNew(rows);
        b.allocateNew(rows);
        label.allocateNew(rows);
        emb.allocateNew();
        for (int i = 0; i < rows; i++) {
            a.set(i, i);
            b.set(i, 10.0 * i);
            label.set(i, i % 3);
            emb.setNotNull(i);
            embData.setSafe(2 * i, i);
            embData.setSafe(2 * i + 1, -i);
        }
        embData.setValueCount(2 * rows);
        List<FieldVector> vectors = List.of(a, b, label, emb);
        vectors.forEach(v -> v.setValueCount(rows));
        return new VectorSchemaRoot(vectors);
    }

    @Test
    void numericColumnIsAZeroCopyViewThatOutlivesTheRoot() {
        Tensor a;
        Tensor label;
        try (VectorSchemaRoot root = table(4)) {
            a = ArrowBatches.column(root, "a", DType.FLOAT32);
            label = ArrowBatches.column(root, "label");
            assertEquals(root.getVector("a").getDataBuffer().memoryAddress(), a.dataAddress(), "zero copy");
            assertEquals(root.getVector("label").getDataBuffer().memoryAddress(), label.dataAddress());
        }
        assertArrayEquals(new float[] {0, 1, 2, 3}, a.toFloatArray(), "buffer retained after the root closed");
        assertArrayEquals(new long[] {0, 1, 2, 0}, label.toLongArray());
        a.close();
        label.close();
    }

    @Test
    void fixedSizeListBecomesARowsByNTensorOverTheChildBuffer() {
        try (VectorSchemaRoot root = table(3); Tensor emb = ArrowBatches.column(root, "emb")) {
            assertArrayEquals(new long[] {3, 2}, emb.shape());
            FixedSizeListVector v = (FixedSizeListVector) root.getVector("emb");
            assertEquals(v.getDataVector().getDataBuffer().memoryAddress(), emb.dataAddress(), "zero copy");
            assertEquals(-2, emb.get(2, 1));
        }
    }

    @Test
    void featuresAssemblesFloatColumnsIntoACopiedMatrix() {
        try (VectorSchemaRoot root = table(3); Tensor x = ArrowBatches.features(root, "b", "a")) {
            assertArrayEquals(new long[] {3, 2}, x.shape());
            assertEquals(DType.FLOAT32, x.dtype());
            assertArrayEquals(new float[] {0, 0, 10, 1, 20, 2}, x.toFloatArray());
        }
    }

    @Test
    void missingWrongTypedAndNullColumnsAreClearErrors() {
        try (VectorSchemaRoot root = table(3)) {
            var missing = assertThrows(IllegalArgumentException.class, () -> ArrowBatches.column(root, "z"));
            assertTrue(missing.getMessage().contains("'z'") && missing.getMessage().contains("[a, b, label, emb]"),
                    missing.getMessage());
            var typed = assertThrows(IllegalArgumentException.class,
                    () -> ArrowBatches.column(root, "label", DType.FLOAT32));
            assertTrue(typed.getMessage().contains("torch.int64") && typed.getMessage().contains("expected torch.float32"),
                    typed.getMessage());
            var notFloat = assertThrows(IllegalArgumentException.class, () -> ArrowBatches.features(root, "a", "label"));
            assertTrue(notFloat.getMessage().contains("'label'"), notFloat.getMessage());
            ((Float4Vector) root.getVector("a")).setNull(1);
            var nulls = assertThrows(IllegalArgumentException.class, () -> ArrowBatches.column(root, "a"));
            assertTrue(nulls.getMessage().contains("'a'") && nulls.getMessage().contains("1 null"), nulls.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ArrowBatches.features(root, "a"));
        }
    }

    @Test
    void ipcStreamRecordBatchesBecomeBatches() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (VectorSchemaRoot root = table(5); ArrowStreamWriter w = new ArrowStreamWriter(root, null, bytes)) {
            w.start();
            w.writeBatch();
            w.writeBatch();
            w.end();
        }
        List<Batch> batches = ArrowBatches.readStream(new ByteArrayInputStream(bytes.toByteArray()), allocator,
                "emb", "label");
        assertEquals(2, batches.size());
        for (Batch b : batches) {
            try (b) {
                assertArrayEquals(new long[] {5, 2}, b.features().shape());
                assertArrayEquals(new long[] {0, 1, 2, 0, 1}, b.labels().toLongArray());
            }
        }
    }

    @Test
    void ipcFileRecordBatchesBecomeBatches() throws IOException {
        Path file = dir.resolve("t.arrow");
        try (VectorSchemaRoot root = table(4);
             FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
            w.start();
            w.writeBatch();
            w.end();
        }
        List<Batch> batches = ArrowBatches.readFile(file, allocator, "a");
        try (Batch b = batches.get(0)) {
            assertArrayEquals(new float[] {0, 1, 2, 3}, b.features().toFloatArray());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> ArrowBatches.readFile(file, allocator, "nope"));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains(file.toString()), e.getMessage());
    }
}
