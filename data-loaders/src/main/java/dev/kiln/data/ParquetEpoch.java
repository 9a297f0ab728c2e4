package dev.kiln.data;

import dev.kiln.data.transforms.Transform;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One epoch of a {@link ParquetDataset}: worker threads decode row groups (in this epoch's order, at most
 * {@code numThreads + 1} ahead), and the consumer cuts batches out of them. A batch inside one row group is a
 * view of its buffers; a batch straddling two row groups is concatenated (a copy). Closing the epoch waits for
 * in-flight reads and frees everything not yet delivered, so errors and early exits leak nothing.
 */
final class ParquetEpoch implements Iterator<Batch>, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ParquetEpoch.class.getName());

    private final ParquetDataset ds;
    private final ParquetDataset.Builder o;
    private final Deque<ParquetDataset.Unit> todo;
    private final Deque<Future<VectorSchemaRoot>> inFlight = new ArrayDeque<>();
    private final ExecutorService pool;
    /** Decodes the pages of one column chunk in parallel (so even a single-row-group file uses every thread). */
    private final ExecutorService pagePool;
    private final RowGroupReader reader;
    private final Random rowShuffle;
    /** The batch fields' names: features, categories, label (those the dataset has). */
    private final List<String> names;
    /** The current row group's (or shuffle window's) full-length tensors, and how many rows were handed out. */
    private List<Tensor> group = List.of();
    private long pos;
    private long delivered;
    private boolean closed;
    /** Set by close(): reads not yet started return at once (a cancelled FutureTask that is already running would
     *  still finish and its buffers would have no owner, so close() waits for every read instead of cancelling). */
    private volatile boolean stopping;

    ParquetEpoch(ParquetDataset ds, int epoch) {
        this.ds = ds;
        this.o = ds.options;
        List<ParquetDataset.Unit> order = new ArrayList<>(ds.units);
        if (o.shuffle) {
            Collections.shuffle(order, new Random(o.seed * 1_000_003L + epoch));
        }
        this.todo = new ArrayDeque<>(order);
        this.rowShuffle = new Random(o.seed * 1_000_003L + epoch + 7);
        this.pagePool = Executors.newFixedThreadPool(o.numThreads, daemon("kiln-parquet-pages"));
        Map<org.apache.hadoop.fs.Path, Integer> uses = new HashMap<>();
        for (ParquetDataset.Unit u : order) {
            uses.merge(u.file(), 1, Integer::sum);
        }
        this.reader = new RowGroupReader(o.conf, ds.layout, o.vocabulary, new RowGroupDecoder(o.allocator,
                o.dropNulls, o.checkFinite, pagePool), o.bytesDecoder, new Footers(o.conf, uses));
        this.names = ds.layout.fieldNames();
        this.pool = Executors.newFixedThreadPool(o.numThreads, daemon("kiln-parquet-reader"));
        fill();
    }

    /** Row-group readers mostly wait for page tasks, so at most numThreads threads are busy at a time. */
    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Keeps numThreads + 1 row groups decoding ahead of the consumer. */
    private void fill() {
        while (!todo.isEmpty() && inFlight.size() < o.numThreads + 1) {
            ParquetDataset.Unit u = todo.poll();
            inFlight.add(pool.submit(() -> stopping ? null : reader.read(u, o.skipBadFiles)));
        }
    }

    @Override
    public boolean hasNext() {
        if (closed) {
            return false;
        }
        try {
            while (pos >= rows(group) && !inFlight.isEmpty()) {
                nextGroup();
            }
            long left = rows(group) - pos;
            boolean more = left > 0 && !(o.dropLast && left < o.batchSize && inFlight.isEmpty());
            if (!more) {
                finish();
            }
            return more;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException("epoch finished");
        }
        try (TensorScope scope = TensorScope.open(o.allocator)) {
            List<List<Tensor>> parts = new ArrayList<>();
            long need = o.batchSize;
            while (need > 0 && (pos < rows(group) || !inFlight.isEmpty())) {
                if (pos >= rows(group)) {
                    nextGroup();
                    continue;
                }
                long take = Math.min(need, rows(group) - pos);
                List<Tensor> slice = new ArrayList<>();
                for (Tensor t : group) {
                    slice.add(t.narrow(0, pos, take));
                }
                parts.add(slice);
                pos += take;
                need -= take;
            }
            Batch b = toBatch(parts);
            delivered += b.batchSize();
            return b;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** One part: views (zero copy); several parts (a batch across row groups): concatenated. Then transforms. */
    private Batch toBatch(List<List<Tensor>> parts) {
        List<Tensor> out = new ArrayList<>();
        for (int f = 0; f < group.size(); f++) {
            Tensor t;
            if (parts.size() == 1) {
                t = parts.get(0).get(f);
            } else {
                List<Tensor> pieces = new ArrayList<>();
                for (List<Tensor> p : parts) {
                    pieces.add(p.get(f));
                }
                t = Tensor.cat(pieces, 0);
            }
            String name = names.get(f);
            Transform tf = name.equals("features") ? o.featureTransform : name.equals("label") ? o.labelTransform
                    : null;
            out.add(tf == null ? t : tf.apply(t));
        }
        out.forEach(TensorScope::detach);
        return new Batch(out, names);
    }

    /** Frees the exhausted group and takes the next decoded one (or a shuffle window of several). */
    private void nextGroup() {
        closeGroup();
        List<Tensor> g = take();
        if (o.shuffleBuffer <= 0) {
            group = g;
            return;
        }
        try (TensorScope scope = TensorScope.open(o.allocator)) {
            List<List<Tensor>> window = new ArrayList<>();
            window.add(g);
            long rows = rows(g);
            while (rows < o.shuffleBuffer && !inFlight.isEmpty()) {
                List<Tensor> more = take();
                window.add(more);
                rows += rows(more);
            }
            group = shuffled(window, rows);
            window.forEach(w -> w.forEach(Tensor::close));
        }
    }

    /** The window's rows concatenated and permuted (Fisher-Yates with the epoch's row seed). */
    private List<Tensor> shuffled(List<List<Tensor>> window, long rows) {
        long[] perm = new long[Math.toIntExact(rows)];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        for (int i = perm.length - 1; i > 0; i--) {
            int j = rowShuffle.nextInt(i + 1);
            long tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        Tensor index = Tensor.of(perm);
        List<Tensor> out = new ArrayList<>();
        for (int f = 0; f < window.get(0).size(); f++) {
            List<Tensor> pieces = new ArrayList<>();
            for (List<Tensor> w : window) {
                pieces.add(w.get(f));
            }
            Tensor all = window.size() == 1 ? pieces.get(0) : Tensor.cat(pieces, 0);
            out.add(TensorScope.detach(all.indexSelect(0, index)));
        }
        return out;
    }

    /** Waits for the oldest in-flight row group and turns its vectors into detached tensors. */
    private List<Tensor> take() {
        Future<VectorSchemaRoot> f = inFlight.poll();
        VectorSchemaRoot root;
        try {
            root = f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataLoaderException("interrupted while reading Parquet", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re
                    : new DataLoaderException(e.getCause().getMessage(), e.getCause());
        }
        fill();
        if (root == null) { // a bad row group skipped under skipBadFiles
            return List.of();
        }
        try (root) {
            return reader.tensors(root, o);
        }
    }

    private void finish() {
        close();
        if (delivered == 0 && !o.dropLast) {
            throw new IllegalStateException("Parquet dataset '" + o.location + "' produced no rows this epoch (rank "
                    + o.rank + " of " + o.worldSize + ", " + ds.units.size() + " row groups): every row was dropped "
                    + "as null or every file was skipped");
        }
    }

    private static long rows(List<Tensor> g) {
        return g.isEmpty() ? 0 : g.get(0).size(0);
    }

    private void closeGroup() {
        group.forEach(Tensor::close);
        group = List.of();
        pos = 0;
    }

    /** Stops reading: not-started reads are skipped, running ones awaited and their buffers freed. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopping = true;
        closeGroup();
        todo.clear();
        for (Future<VectorSchemaRoot> f : inFlight) {
            try {
                VectorSchemaRoot r = f.get();
                if (r != null) {
                    r.close();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                LOG.log(System.Logger.Level.DEBUG, "read failed after the epoch was closed", e.getCause());
            }
        }
        inFlight.clear();
        pool.shutdown();
        pagePool.shutdown(); // after the reads above finished: none of them still waits on a page task
    }
}
