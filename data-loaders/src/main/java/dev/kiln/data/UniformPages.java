package dev.kiln.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReader;

/**
 * The fast path for a {@code list<float>} column chunk whose rows all hold exactly {@code n} non-null values
 * (every MNIST-style feature column): its pages are decoded IN PARALLEL, each straight into its own rows of the
 * {@code [rows, n]} Arrow buffer.
 *
 * <p>Why this is possible: if every row has n values, the chunk holds {@code valueCount = rows * n} level entries
 * (so n is known from the footer before any page is read) and a page of {@code c} entries holds exactly
 * {@code c / n} whole rows, so page {@code p} starts at row {@code sum(c_q / n, q < p)}: no page has to be decoded
 * to know where the next one goes. Each page task then decompresses (lazily, see {@link PageCodecs}), checks its
 * levels run by run ({@link LevelRuns}: the repetition levels must be {@code [0, 1 × (n - 1)]} per row and every
 * definition level the maximum) and writes its values (dictionary ids looked up in bulk, PLAIN copied).
 *
 * <p>This is a guess verified per page: when any page is not uniform (a null, an empty or ragged row, a row
 * crossing a page, an unusual encoding) {@link #decode} frees its buffer and returns null, and the caller decodes
 * the chunk again with the general, sequential {@link FloatListPages}, which reports or drops the bad rows.
 */
final class UniformPages {
    private final RowGroupDecoder owner;
    private final RowGroupDecoder.Source src;
    private final String name;
    private final ColumnDescriptor desc;
    private final int rows;
    private final boolean checkFinite;

    UniformPages(RowGroupDecoder owner, RowGroupDecoder.Source src, String name, ColumnDescriptor desc, int rows,
                 boolean checkFinite) {
        this.owner = owner;
        this.src = src;
        this.name = name;
        this.desc = desc;
        this.rows = rows;
        this.checkFinite = checkFinite;
    }

    /** The decoded column (caller owns it), or null if the chunk is not uniform (nothing is left allocated). */
    FixedSizeListVector decode(PageReader pages, ExecutorService pool) throws IOException {
        long values = pages.getTotalValueCount();
        if (rows == 0 || desc.getMaxRepetitionLevel() != 1 || values % rows != 0 || values / rows == 0
                || values / rows > Integer.MAX_VALUE / 8) {
            return null;
        }
        int n = (int) (values / rows);
        DictionaryPage dp = pages.readDictionaryPage();
        int[] table = dp == null ? null : table(dp.getEncoding().initDictionary(desc, dp));
        List<DataPage> list = new ArrayList<>();
        List<Integer> firstRow = new ArrayList<>();
        long row = 0;
        for (DataPage p = pages.readPage(); p != null; p = pages.readPage()) {
            if (p.getValueCount() % n != 0) {
                return null;
            }
            list.add(p);
            firstRow.add((int) row);
            row += p.getValueCount() / n;
        }
        if (row != rows) {
            return null;
        }
        FixedSizeListVector out = owner.fixedSizeList(name, n, rows);
        try {
            if (run(list, firstRow, n, table, out.getDataVector().getDataBuffer(), pool)) {
                return out;
            }
            out.close();
            return null;
        } catch (IOException | RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** Decodes every page (on the pool, or here if none); true if all were uniform. Waits for every task. */
    private boolean run(List<DataPage> pages, List<Integer> firstRow, int n, int[] table, ArrowBuf buf,
                        ExecutorService pool) throws IOException {
        List<Callable<Boolean>> tasks = new ArrayList<>(pages.size());
        for (int i = 0; i < pages.size(); i++) {
            DataPage p = pages.get(i);
            long at = (long) firstRow.get(i) * n;
            tasks.add(() -> page(p, n, table, buf, at));
        }
        if (pool == null || tasks.size() == 1) {
            for (Callable<Boolean> t : tasks) {
                if (!call(t)) {
                    return false;
                }
            }
            return true;
        }
        boolean ok = true;
        Throwable error = null;
        List<Future<Boolean>> futures;
        try {
            futures = pool.invokeAll(tasks); // returns when every task is done: no task outlives the buffer
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataLoaderException("interrupted while decoding Parquet pages", e);
        }
        for (Future<Boolean> f : futures) {
            try {
                ok &= f.get();
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
        if (error != null) {
            throw new DataLoaderException(error.toString(), error);
        }
        return ok;
    }

    private static boolean call(Callable<Boolean> t) throws IOException {
        try {
            return t.call();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new DataLoaderException(e.toString(), e);
        }
    }

    /** One page into elements {@code [at, at + count)}: levels checked, then values stored; false if not uniform. */
    private boolean page(DataPage p, int n, int[] table, ArrowBuf buf, long at) throws IOException {
        int count = p.getValueCount();
        int maxDef = desc.getMaxDefinitionLevel();
        ByteBuffer data;
        Encoding encoding;
        if (p instanceof DataPageV1 v1) {
            if (v1.getRlEncoding() != Encoding.RLE || maxDef > 0 && v1.getDlEncoding() != Encoding.RLE) {
                return false;
            }
            data = v1.getBytes().toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            if (!LevelRuns.uniformRows(prefixed(data), count, n)
                    || maxDef > 0 && !LevelRuns.allEqual(prefixed(data), BytesUtils.getWidthFromMaxInt(maxDef),
                    count, maxDef)) {
                return false;
            }
            encoding = v1.getValueEncoding();
        } else {
            DataPageV2 v2 = (DataPageV2) p;
            if (v2.getNullCount() != 0 || v2.getRowCount() != count / n
                    || !LevelRuns.uniformRows(v2.getRepetitionLevels().toByteBuffer(), count, n)
                    || maxDef > 0 && !LevelRuns.allEqual(v2.getDefinitionLevels().toByteBuffer(),
                    BytesUtils.getWidthFromMaxInt(maxDef), count, maxDef)) {
                return false;
            }
            data = v2.getData().toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            encoding = v2.getDataEncoding();
        }
        if (encoding == Encoding.PLAIN) {
            if (data.remaining() < count * 4L) {
                return false;
            }
            buf.setBytes(at * 4, data.slice().limit(count * 4)); // the page's values in one copy
        } else if (encoding.usesDictionary() && table != null && data.hasRemaining()) {
            int width = data.get() & 0xff;
            if (!DictionaryIds.lookup(data, width, count, table, buf.memoryAddress() + at * 4)) {
                return false;
            }
        } else {
            return false;
        }
        if (checkFinite) {
            checkFinite(buf, at, count, n);
        }
        return true;
    }

    /** A V1 level section: a 4-byte little-endian length, then that many bytes; advances {@code data} past it. */
    private static ByteBuffer prefixed(ByteBuffer data) {
        int len = data.getInt();
        ByteBuffer section = data.slice().limit(len);
        data.position(data.position() + len);
        return section;
    }

    private void checkFinite(ArrowBuf buf, long at, int count, int n) {
        for (long k = at; k < at + count; k++) {
            float v = buf.getFloat(k * 4);
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("column '" + name + "' has a non-finite value " + v
                        + " at element " + k % n + " (" + src.at(k / n) + "); checkFinite is on");
            }
        }
    }

    /** The dictionary as raw float bits, the form the lookup stores. */
    private static int[] table(Dictionary dict) {
        int[] t = new int[dict.getMaxId() + 1];
        for (int i = 0; i < t.length; i++) {
            t[i] = Float.floatToRawIntBits(dict.decodeToFloat(i));
        }
        return t;
    }
}
