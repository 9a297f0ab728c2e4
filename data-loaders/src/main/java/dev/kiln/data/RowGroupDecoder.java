package dev.kiln.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * Decodes one row group's column chunks into the Arrow vectors of a batch, which it allocates: {@code features}
 * (a {@link FixedSizeListVector} whose child buffer is the {@code [rows, n]} matrix: one list column, or k scalar
 * columns written into their own column of it, or a bytes column decoded by the user's function),
 * {@code categories} ({@code [rows, c]} int64 category ids) and {@code label}. Every flat column's pages and a
 * uniform list column's pages ({@link UniformPages}) are decoded as independent tasks on {@code pagePool}, so
 * even a single row group keeps every thread busy; a non-uniform list column is then decoded in order
 * ({@link ListPages}).
 *
 * <p>Nulls: a row with a null feature, list element or label either fails (naming file, row group, row and
 * column) or, with {@code dropNulls}, is removed by compacting the buffers in place after decoding. A null
 * category is id 0.
 */
final class RowGroupDecoder {
    /** Where the row group comes from, for error messages and the per-row-group checks. */
    record Source(String file, int rowGroup, long rows) {
        String at(long row) {
            return "file " + file + ", row group " + rowGroup + ", row " + row;
        }
    }

    /** The chunks of one row group, by role (features: one list, k scalars or one bytes column). */
    record Columns(List<ParquetColumn> features, List<ColumnChunk> featureChunks, List<ParquetColumn> categories,
                   List<ColumnChunk> categoryChunks, ParquetColumn label, ColumnChunk labelChunk) {
    }

    private final BufferAllocator allocator;
    private final boolean dropNulls;
    private final boolean checkFinite;
    private final ExecutorService pagePool;

    /** {@code pagePool}: threads that decode the pages of one row group in parallel (null: this thread only). */
    RowGroupDecoder(BufferAllocator allocator, boolean dropNulls, boolean checkFinite, ExecutorService pagePool) {
        this.allocator = allocator;
        this.dropNulls = dropNulls;
        this.checkFinite = checkFinite;
        this.pagePool = pagePool;
    }

    /** Decodes the row group into a root the caller owns (vectors {@code features}, {@code categories}, {@code label}). */
    VectorSchemaRoot decode(Source src, Columns cols, Vocabulary vocabulary, Function<byte[], float[]> bytesDecoder)
            throws IOException {
        int rows = Math.toIntExact(src.rows());
        boolean[] nullRow = new boolean[rows];
        List<FieldVector> vectors = new ArrayList<>(3);
        List<Callable<Void>> tasks = new ArrayList<>();
        List<UniformPages.Plan> plans = new ArrayList<>();
        try {
            ParquetColumn first = cols.features().isEmpty() ? null : cols.features().get(0);
            if (first != null && first.kind() == ParquetColumn.Kind.LIST) {
                ColumnChunk chunk = cols.featureChunks().get(0);
                UniformPages.Plan plan = new UniformPages(this, src, first.name(), chunk, first.lane(), rows,
                        checkFinite).plan();
                if (plan != null) {
                    vectors.add(plan.vector());
                    plans.add(plan);
                    tasks.addAll(plan.tasks());
                }
            } else if (first != null && first.kind() == ParquetColumn.Kind.SCALAR) {
                FixedSizeListVector m = fixedSizeList("features", cols.features().size(), rows, first.lane(), 0);
                vectors.add(m);
                flatTasks(src, cols.features(), cols.featureChunks(), m, FlatPages.Mode.VALUE, null, nullRow, tasks);
            }
            if (!cols.categories().isEmpty()) {
                FixedSizeListVector m = fixedSizeList("categories", cols.categories().size(), rows, Lane.I64, 0);
                vectors.add(m);
                flatTasks(src, cols.categories(), cols.categoryChunks(), m, FlatPages.Mode.CATEGORY, vocabulary,
                        nullRow, tasks);
            }
            if (cols.label() != null) {
                vectors.add(labelTasks(src, cols, vocabulary, rows, nullRow, tasks));
            }
            run(tasks);
            if (first != null && first.kind() == ParquetColumn.Kind.LIST
                    && (plans.isEmpty() || !plans.get(0).uniform().get())) {
                if (!plans.isEmpty()) { // some page was not uniform: decode the chunk again, in order
                    vectors.remove(plans.get(0).vector());
                    plans.get(0).vector().close();
                }
                vectors.add(0, new ListPages(this, src, first.name(), cols.featureChunks().get(0), first.lane(), rows,
                        nullRow, checkFinite).decode());
            } else if (first != null && first.kind() == ParquetColumn.Kind.BYTES) {
                vectors.add(0, BytesPages.decode(this, src, first.name(), cols.featureChunks().get(0), rows, nullRow,
                        bytesDecoder));
            }
            int kept = dropNulls ? compact(vectors, nullRow) : rows;
            for (FieldVector v : vectors) {
                v.setValueCount(kept);
            }
            return new VectorSchemaRoot(vectors);
        } catch (IOException | RuntimeException | Error e) {
            vectors.forEach(FieldVector::close);
            throw e;
        }
    }

    private void flatTasks(Source src, List<ParquetColumn> cols, List<ColumnChunk> chunks, FixedSizeListVector m,
                           FlatPages.Mode mode, Vocabulary vocabulary, boolean[] nullRow, List<Callable<Void>> tasks)
            throws IOException {
        Lane lane = mode == FlatPages.Mode.VALUE ? cols.get(0).lane() : Lane.I64;
        ArrowBuf buf = m.getDataVector().getDataBuffer();
        for (int j = 0; j < cols.size(); j++) {
            Dest dest = new Dest(buf, src.rows() * cols.size(), lane.width, cols.size(), j);
            CategoryIndex index = vocabulary == null ? null : vocabulary.index(cols.get(j).name());
            tasks.addAll(new FlatPages(this, src, cols.get(j).name(), chunks.get(j), dest, lane, mode, index, nullRow,
                    checkFinite).tasks());
        }
    }

    private FieldVector labelTasks(Source src, Columns cols, Vocabulary vocabulary, int rows, boolean[] nullRow,
                                   List<Callable<Void>> tasks) throws IOException {
        ParquetColumn label = cols.label();
        ColumnChunk chunk = cols.labelChunk();
        BaseFixedWidthVector v = label.lane() == Lane.F32 ? new Float4Vector("label", allocator)
                : new BigIntVector("label", allocator);
        v.allocateNew(rows);
        setAllValid(v.getValidityBuffer(), rows);
        boolean keys = !chunk.type().numeric();
        FlatPages.Mode mode = keys ? FlatPages.Mode.LABEL_CATEGORY : FlatPages.Mode.VALUE;
        Dest dest = new Dest(v.getDataBuffer(), rows, label.lane().width, 1, 0);
        try {
            tasks.addAll(new FlatPages(this, src, label.name(), chunk, dest, label.lane(), mode,
                    keys ? vocabulary.index(label.name()) : null, nullRow, false).tasks());
            return v;
        } catch (IOException | RuntimeException e) {
            v.close();
            throw e;
        }
    }

    /** Runs the tasks on the page pool (or here); waits for all of them, so none outlives the buffers. */
    private void run(List<Callable<Void>> tasks) throws IOException {
        if (pagePool == null || tasks.size() <= 1) {
            for (Callable<Void> t : tasks) {
                try {
                    t.call();
                } catch (IOException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new DataLoaderException(e.toString(), e);
                }
            }
            return;
        }
        List<Future<Void>> futures;
        try {
            futures = pagePool.invokeAll(tasks);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataLoaderException("interrupted while decoding Parquet pages", e);
        }
        Throwable error = null;
        for (Future<Void> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                error = error == null ? e.getCause() : error;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DataLoaderException("interrupted while decoding Parquet pages", e);
            }
        }
        if (error instanceof IOException io) {
            throw io;
        }
        if (error instanceof RuntimeException re) {
            throw re;
        }
        if (error instanceof Error err) {
            throw err;
        }
    }

    /**
     * A {@code [rows, n]} fixed-size list of {@code lane} values, all valid. {@code entries} (the chunk's level
     * entries, 0 for a matrix of scalar columns) bounds what a file may make us allocate: n is the length of a row
     * the file holds, so rows × n elements exceed twice the entries only for mostly-null data or a corrupt file.
     */
    FixedSizeListVector fixedSizeList(String name, int n, int rows, Lane lane, long entries) {
        return fixedSizeList(name, n, rows, lane, entries, name);
    }

    /** The same, for the Parquet column {@code column} (named in errors). */
    FixedSizeListVector fixedSizeList(String name, int n, int rows, Lane lane, long entries, String column) {
        long bytes = (long) rows * n * lane.width;
        if (entries > 0 && bytes > Math.max(1L << 31, 2 * entries * lane.width)) {
            throw new ParquetFormatException("column '" + column + "': a first row of " + n + " elements would need "
                    + rows + " x " + n + " x " + lane.width + " bytes, but the chunk holds only " + entries
                    + " values");
        }
        FixedSizeListVector list = FixedSizeListVector.empty(name, n, allocator);
        ArrowType type = switch (lane) {
            case F32 -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
            case F64 -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
            case I64 -> new ArrowType.Int(64, true);
        };
        list.addOrGetVector(FieldType.notNullable(type));
        list.setInitialCapacity(rows);
        list.allocateNew();
        setAllValid(list.getValidityBuffer(), rows);
        setAllValid(((BaseFixedWidthVector) list.getDataVector()).getValidityBuffer(), (long) rows * n);
        return list;
    }

    void checkLength(Source src, String name, int row, int len, int n, boolean[] nullRow) {
        if (len != n && !nullRow[row]) {
            throw new ParquetDataException("ragged column '" + name + "': " + src.at(row) + " has " + len
                    + " elements but the row group's first row has " + n + "; every row of a feature column "
                    + "must have the same length");
        }
    }

    void nullValue(Source src, String name, int row, boolean[] nullRow, String what) {
        if (!dropNulls) {
            throw new ParquetDataException("column '" + name + "' has " + what + " (" + src.at(row)
                    + "); tensors cannot hold nulls: clean the data or set dropNulls(true) to skip such rows");
        }
        nullRow[row] = true;
    }

    /** Fails on a NaN or ±Inf among elements {@code [at, at + count)} of a {@code [rows, n]} float matrix. */
    void checkFiniteElements(Source src, String name, Dest dest, Lane lane, long at, int count, int n) {
        long addr = dest.elements(at, count, name);
        for (int k = 0; k < count; k++) {
            double v = lane == Lane.F32 ? Float.intBitsToFloat(MemoryUtil.getInt(addr + 4L * k))
                    : Double.longBitsToDouble(MemoryUtil.getLong(addr + 8L * k));
            if (!Double.isFinite(v)) {
                long e = at + k;
                throw new ParquetDataException("column '" + name + "' has a non-finite value " + v + " at element "
                        + e % n + " (" + src.at(e / n) + "); checkFinite is on");
            }
        }
    }

    /** Moves the kept rows of every vector down over the dropped ones; returns how many rows are kept. */
    private static int compact(List<FieldVector> vectors, boolean[] nullRow) {
        int kept = 0;
        for (int row = 0; row < nullRow.length; row++) {
            if (!nullRow[row]) {
                if (kept != row) {
                    for (FieldVector v : vectors) {
                        long width = rowBytes(v);
                        long base = dataBuffer(v).memoryAddress();
                        MemoryUtil.copyMemory(base + row * width, base + kept * width, width);
                    }
                }
                kept++;
            }
        }
        return kept;
    }

    private static long rowBytes(FieldVector v) {
        if (v instanceof FixedSizeListVector l) {
            return (long) l.getListSize() * ((BaseFixedWidthVector) l.getDataVector()).getTypeWidth();
        }
        return ((BaseFixedWidthVector) v).getTypeWidth();
    }

    private static ArrowBuf dataBuffer(FieldVector v) {
        return v instanceof FixedSizeListVector l ? l.getDataVector().getDataBuffer() : v.getDataBuffer();
    }

    static void setAllValid(ArrowBuf validity, long count) {
        validity.setOne(0, (count + 7) / 8);
    }
}
