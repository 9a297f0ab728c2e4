package dev.kiln.spark.sql;

import dev.kiln.Kiln;
import dev.kiln.KilnContext;
import dev.kiln.autograd.Autograd;
import dev.kiln.spark.sql.BatchScoring.Config;
import dev.kiln.spark.sql.BatchScoring.NullPolicy;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.LongAdder;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task's scoring loop over its partition: fill a batch (features into the reused Arrow buffer, the input rows
 * copied aside), run one forward pass, then hand out the input rows joined with their outputs. It borrows a model
 * replica on its first batch and gives it back when the partition ends or the task completes (also on failure or
 * an early stop such as {@code limit}); its buffers come from a per-task allocator that is leak-checked on close.
 *
 * <p>On a GPU ({@code device}, resolved per task by {@link TaskDevice}) the host Arrow buffer stays the fill target;
 * per batch the features go to the device in one copy, the forward pass runs there, and the outputs come back in
 * one copy: nothing per row crosses the device boundary. On the CPU, {@code to(device)} returns the tensor itself, so
 * nothing is copied.
 *
 * <p>A {@link KilnContext} is opened only around each forward pass (never across calls into the upstream
 * iterator), with {@code spark.task.cpus} kernel threads, so concurrent tasks do not oversubscribe the cores and
 * nested scorers (two models in one stage) keep their contexts properly nested.
 */
final class ScoringIterator implements Iterator<InternalRow>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScoringIterator.class);
    /** Scoring tasks whose allocator was not empty at the end (tests assert it stays 0). */
    static final java.util.concurrent.atomic.AtomicLong LEAKS = new java.util.concurrent.atomic.AtomicLong();
    /** Where scoring time goes, summed over tasks (clock reads per batch, none per row): BatchScoring.Profile. */
    static final LongAdder FILL_NANOS = new LongAdder();
    static final LongAdder FORWARD_NANOS = new LongAdder();
    static final LongAdder TASK_NANOS = new LongAdder();
    static final LongAdder ROWS = new LongAdder();

    private final Iterator<InternalRow> in;
    private final ScoringPayload payload;
    private final FeatureReader reader;
    private final Config config;
    private final OutputLayout layout;
    private final int partition;
    private final int threads;
    private final Device device;
    private final BufferAllocator allocator;
    private final InternalRow[] rows;
    private final int[] outIndex; // per buffered row: its row in the model output, or -1 for a kept null row
    private final Object[] values;
    private final GenericInternalRow outRow;
    private final JoinedRow joined = new JoinedRow();
    private ModelReplicas.Replica replica;
    private ArrowBuf features;
    private int dim = -1;
    private float[] out;
    private int width;
    private int count;
    private int pos;
    private long rowNumber;
    private boolean done;
    private boolean closed;
    private final long started = System.nanoTime();

    ScoringIterator(Iterator<InternalRow> in, ScoringPayload payload, FeatureReader reader, Config config,
                    int partition, int threads, Device device) {
        this.in = in;
        this.payload = payload;
        this.reader = reader;
        this.config = config;
        this.layout = config.outputs();
        this.partition = partition;
        this.threads = threads;
        this.device = device;
        this.allocator = Kiln.rootAllocator().newChildAllocator("kiln-scoring-partition-" + partition, 0,
                Long.MAX_VALUE);
        this.rows = new InternalRow[config.batchSize()];
        this.outIndex = new int[config.batchSize()];
        this.values = new Object[layout.columns().length];
        this.outRow = new GenericInternalRow(values);
    }

    @Override
    public boolean hasNext() {
        if (pos < count) {
            return true;
        }
        if (done) {
            return false;
        }
        fill();
        if (count == 0) {
            done = true;
            close(); // give the replica back as soon as the partition ends
            return false;
        }
        return true;
    }

    @Override
    public InternalRow next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        int k = outIndex[pos];
        if (k < 0) {
            layout.fillNull(values);
        } else {
            layout.fill(out, k * width, width, values);
        }
        joined.apply(rows[pos], outRow);
        rows[pos++] = null;
        return joined;
    }

    private void fill() {
        long t0 = System.nanoTime();
        count = 0;
        pos = 0;
        int n = 0;
        long first = rowNumber;
        while (count < rows.length && in.hasNext()) {
            InternalRow r = in.next();
            long row = rowNumber++;
            int w = reader.width(r);
            if (w < 0) {
                if (config.nulls() == NullPolicy.ERROR) {
                    throw error(row, "is null; drop or fill null features first (e.g. df.na().drop()), or set "
                            + "handleInvalid to 'skip' (drop such rows) or 'keep' (null outputs)");
                } else if (config.nulls() == NullPolicy.KEEP) {
                    rows[count] = r.copy();
                    outIndex[count++] = -1;
                }
                continue;
            }
            if (dim < 0) {
                dim = config.numFeatures() > 0 ? config.numFeatures() : w;
                features = allocator.buffer(Math.max(64L, 4L * rows.length * dim));
            }
            if (w != dim) {
                throw error(row, "has " + w + " features, but " + (config.numFeatures() > 0 ? "the model takes " + dim
                        + " (numFeatures)" : "the partition's first row has " + dim)
                        + "; every row must have the same number of features");
            }
            String bad = reader.write(r, w, features.memoryAddress() + 4L * n * dim);
            if (bad != null) {
                throw error(row, bad);
            }
            rows[count] = r.copy();
            outIndex[count++] = n++;
        }
        long t1 = System.nanoTime();
        if (n > 0) {
            forward(n, first);
        }
        FILL_NANOS.add(t1 - t0);
        FORWARD_NANOS.add(System.nanoTime() - t1);
        ROWS.add(count);
    }

    private void forward(int n, long firstRow) {
        if (replica == null) {
            replica = ModelReplicas.borrow(payload, device);
        }
        try (KilnContext ctx = KilnContext.builder().numThreads(threads).allocator(allocator).gcPressure(false).open();
             TensorScope scope = TensorScope.open(allocator);
             Autograd.Guard noGrad = Autograd.noGrad()) {
            // one host->device copy per batch (none on the CPU), then the cast on the device where it is cheaper
            Tensor x = Tensor.fromArrow(features, 0, DType.FLOAT32, n, dim).to(device);
            if (replica.dtype() != DType.FLOAT32) {
                x = x.to(replica.dtype());
            }
            Tensor y;
            try {
                y = replica.module().forward(x);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("the model rejected a batch of shape [" + n + ", " + dim
                        + "] read from features column '" + reader.column() + "' (partition " + partition + ", rows "
                        + firstRow + "..): " + e.getMessage() + ". Does the feature count match the model's input?",
                        e);
            }
            if (y.dim() < 1 || y.dim() > 2 || y.size(0) != n) {
                throw new IllegalStateException("the model's output has shape " + java.util.Arrays.toString(y.shape())
                        + " for an input of " + n + " rows; expected [" + n + "] or [" + n + ", k] to score rows");
            }
            width = y.dim() == 1 ? 1 : (int) y.size(1);
            String bad = layout.checkWidth(width);
            if (bad != null) {
                throw new IllegalArgumentException(bad);
            }
            out = y.toFloatArray(); // one device->host copy per batch
        }
    }

    private IllegalArgumentException error(long row, String what) {
        return new IllegalArgumentException("column '" + reader.column() + "' in partition " + partition + ", row "
                + row + ": value " + what);
    }

    /** Gives the replica back and frees the buffers; idempotent (the task-completion listener calls it too). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        TASK_NANOS.add(System.nanoTime() - started);
        if (replica != null) {
            replica.close();
            replica = null;
        }
        if (features != null) {
            features.close();
            features = null;
        }
        try {
            allocator.close();
        } catch (IllegalStateException e) { // a leak: report it, but the rows are already scored correctly
            LEAKS.incrementAndGet();
            LOG.error("Kiln scoring leaked memory in partition {}: {}", partition, e.getMessage());
        }
    }
}
