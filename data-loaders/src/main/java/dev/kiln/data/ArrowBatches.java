package dev.kiln.data;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;

/**
 * Hands Arrow record batches to tensors without copying: a fixed-width numeric column becomes a 1-d tensor over
 * the column's own data buffer, and a {@link FixedSizeListVector} of n numbers per row becomes a {@code [rows, n]}
 * tensor over its child's buffer. The tensors retain the Arrow buffers (reference counting), so they stay valid
 * after the {@link VectorSchemaRoot} or IPC reader is closed or moves to its next batch.
 *
 * <p>Only {@link #features} copies: separate columns are not adjacent in memory, so a {@code [rows, k]} matrix
 * of them has to be assembled.
 */
public final class ArrowBatches {
    private ArrowBatches() {
    }

    /**
     * Column {@code name} as a zero-copy tensor: {@code [rows]} for a fixed-width column, {@code [rows, n]} for a
     * fixed-size list column. Created in the caller's {@code TensorScope}.
     */
    public static Tensor column(VectorSchemaRoot root, String name) {
        FieldVector v = vector(root, name);
        if (v instanceof FixedSizeListVector list) {
            return fixedSizeList(list);
        }
        checkNoNulls(v, name);
        try {
            return Tensor.fromArrow(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("column '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Like {@link #column(VectorSchemaRoot, String)}, but fails unless the column's element type is {@code expected}. */
    public static Tensor column(VectorSchemaRoot root, String name, DType expected) {
        Tensor t = column(root, name);
        if (t.dtype() != expected) {
            String found = t.dtype().torchName();
            t.close();
            throw new IllegalArgumentException("column '" + name + "' has Arrow type "
                    + vector(root, name).getField().getType() + " (" + found + "), expected " + expected.torchName());
        }
        return t;
    }

    /** A {@code [rows, n]} view of the list's child buffer; rows are adjacent there, so no copy is needed. */
    private static Tensor fixedSizeList(FixedSizeListVector list) {
        String name = list.getName();
        checkNoNulls(list, name);
        FieldVector child = list.getDataVector();
        checkNoNulls(child, name + " (list elements)");
        int rows = list.getValueCount();
        int n = list.getListSize();
        if (child.getValueCount() < (long) rows * n) {
            throw new IllegalArgumentException("column '" + name + "' has " + rows + " lists of " + n
                    + " but only " + child.getValueCount() + " elements");
        }
        DType dtype;
        try (Tensor flat = Tensor.fromArrow(child)) { // validates the element type and gives its dtype
            dtype = flat.dtype();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("column '" + name + "' is a fixed-size list of "
                    + child.getField().getType() + ", expected a list of float or other fixed-width numbers", e);
        }
        return Tensor.fromArrow(child.getDataBuffer(), 0, dtype, rows, n);
    }

    /**
     * Scalar float columns assembled into one {@code [rows, k]} float32 feature matrix, column {@code j} of the
     * result being {@code names[j]}. This COPIES (k separate buffers cannot be one strided tensor); the result
     * belongs to the caller's scope.
     */
    public static Tensor features(VectorSchemaRoot root, String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("features needs at least one column name");
        }
        List<FieldVector> cols = new ArrayList<>(names.length);
        for (String name : names) {
            FieldVector v = vector(root, name);
            if (!(v instanceof Float4Vector || v instanceof Float8Vector)) {
                throw new IllegalArgumentException("feature column '" + name + "' has Arrow type "
                        + v.getField().getType() + ", expected a scalar float column (float32 or float64)");
            }
            checkNoNulls(v, name);
            cols.add(v);
        }
        try (TensorScope scope = TensorScope.open()) { // frees the per-column views and casts
            List<Tensor> parts = new ArrayList<>(cols.size());
            for (FieldVector v : cols) {
                parts.add(Tensor.fromArrow(v).to(DType.FLOAT32));
            }
            return TensorScope.keep(Tensor.stack(parts, 1));
        }
    }

    /**
     * Reads every record batch of an Arrow IPC stream into a {@link Batch} of zero-copy tensors, one per column
     * in {@code columns} order. The batches own their tensors (close them); the reader is closed here.
     */
    public static List<Batch> readStream(InputStream in, BufferAllocator allocator, String... columns)
            throws IOException {
        try (ArrowStreamReader reader = new ArrowStreamReader(in, allocator)) {
            return readAll(reader, columns);
        }
    }

    /** Like {@link #readStream}, for an Arrow IPC file (the random-access format, {@code .arrow}). */
    public static List<Batch> readFile(Path file, BufferAllocator allocator, String... columns) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
             ArrowFileReader reader = new ArrowFileReader(ch, allocator)) {
            return readAll(reader, columns);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static List<Batch> readAll(ArrowReader reader, String... columns) throws IOException {
        List<Batch> out = new ArrayList<>();
        try {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            while (reader.loadNextBatch()) {
                out.add(toBatch(root, columns));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            out.forEach(Batch::close);
            throw e;
        }
    }

    /** One record batch's columns as a batch that owns its tensors (detached from any scope, like loader batches). */
    static Batch toBatch(VectorSchemaRoot root, String... columns) {
        List<Tensor> tensors = new ArrayList<>(columns.length);
        try {
            for (String c : columns) {
                tensors.add(TensorScope.detach(column(root, c)));
            }
            return new Batch(tensors);
        } catch (RuntimeException e) {
            tensors.forEach(Tensor::close);
            throw e;
        }
    }

    private static FieldVector vector(VectorSchemaRoot root, String name) {
        FieldVector v = root.getVector(name);
        if (v == null) {
            List<String> names = root.getSchema().getFields().stream().map(f -> f.getName()).toList();
            throw new IllegalArgumentException("column '" + name + "' not found; the batch has columns " + names);
        }
        return v;
    }

    private static void checkNoNulls(FieldVector v, String name) {
        if (v.getNullCount() > 0) {
            throw new IllegalArgumentException("column '" + name + "' has " + v.getNullCount() + " null value(s) in "
                    + v.getValueCount() + " rows; tensors cannot hold nulls (drop or fill them first)");
        }
    }
}
