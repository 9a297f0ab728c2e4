package dev.kiln.spark.sql;

import dev.kiln.Kiln;
import dev.kiln.KilnContext;
import dev.kiln.autograd.Autograd;
import dev.kiln.memory.Unsafe;
import dev.kiln.spark.sql.BatchScoring.NullPolicy;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.Serializable;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.util.TaskCompletionListener;

/**
 * The scalar UDF behind {@code model.udf()}: Spark calls it once per row with the features value (a Spark ML
 * {@code Vector} or a sequence of numbers). The per-row path is kept short: within a task it keeps one model
 * replica, one Arrow input buffer and one {@code [1, d]} tensor over it, all reused for every row of the task; a
 * call writes the features into the buffer and runs forward under {@code noGrad}. What it cannot avoid is the
 * forward pass's own intermediates (freed at once) and the result object. Everything is given back when the task
 * completes.
 *
 * <p>On a GPU (the one Spark assigned to the task, see {@link TaskDevice}) the replica lives there and each call
 * copies its one row to the device and its output back: two small copies per row, which a scalar UDF cannot batch.
 * Batch scoring ({@code KilnModel.transform}) copies once per batch and is the way to score on a GPU.
 *
 * <p>Spark deserializes a UDF per task, so an instance serves one task on one thread; a call from any other thread
 * (e.g. on the driver) borrows and returns a replica per call instead.
 */
public final class RowScorer implements UDF1<Object, Object>, Serializable {
    private static final long serialVersionUID = 1L;

    /** What the UDF returns. */
    public enum Output {
        PREDICTION, PROBABILITY, RAW_PREDICTION
    }

    private final Broadcast<ScoringPayload> model;
    private final OutputLayout layout;
    private final Output output;
    private final int numFeatures;
    private final NullPolicy nulls;
    private final String device;
    private transient State state;

    public RowScorer(Broadcast<ScoringPayload> model, OutputLayout layout, Output output, int numFeatures,
                     NullPolicy nulls) {
        this(model, layout, output, numFeatures, nulls, "cpu");
    }

    /** As above, scoring on {@code device}: cpu | cuda | auto (resolved per task, as for training). */
    public RowScorer(Broadcast<ScoringPayload> model, OutputLayout layout, Output output, int numFeatures,
                     NullPolicy nulls, String device) {
        if (!dev.kiln.spark.train.Devices.MODES.contains(device)) {
            throw new IllegalArgumentException("device must be one of cpu, cuda, auto; got '" + device + "'");
        }
        if (output != Output.PREDICTION && layout.kind() == OutputLayout.Kind.REGRESSION) {
            throw new IllegalArgumentException("a regression model has no " + output.name().toLowerCase()
                    + "; use the prediction UDF");
        }
        this.model = model;
        this.layout = layout;
        this.output = output;
        this.numFeatures = numFeatures;
        this.nulls = nulls;
        this.device = device;
    }

    /** One task's reusable state: a replica (on the task's device), a host input buffer and the tensor over it. */
    private static final class State implements AutoCloseable {
        final Thread owner = Thread.currentThread();
        final BufferAllocator allocator = Kiln.rootAllocator().newChildAllocator("kiln-udf", 0, Long.MAX_VALUE);
        final ModelReplicas.Replica replica;
        final ArrowBuf buffer;
        final Tensor input;
        final int dim;
        final int threads;

        State(ScoringPayload payload, int dim, int threads, Device device) {
            this.dim = dim;
            this.threads = threads;
            try {
                this.replica = ModelReplicas.borrow(payload, device);
            } catch (RuntimeException | Error e) { // e.g. the device cannot be used: leave no allocator behind
                allocator.close();
                throw e;
            }
            this.buffer = allocator.buffer(Math.max(64L, 4L * dim));
            this.input = TensorScope.detach(Tensor.fromArrow(buffer, 0, DType.FLOAT32, 1, dim));
        }

        @Override
        public void close() {
            input.close();
            buffer.close();
            replica.close();
            allocator.close();
        }
    }

    @Override
    public Object call(Object features) {
        if (features == null) {
            if (nulls == NullPolicy.ERROR) {
                throw new IllegalArgumentException("Kiln UDF: the features value is null; drop or fill nulls first, or "
                        + "set handleInvalid to 'keep' on the model (null in, null out)");
            }
            return null;
        }
        int w = width(features);
        State s = state;
        if (s != null && s.owner == Thread.currentThread() && s.dim == w) {
            return score(s, features);
        }
        TaskContext task = TaskContext.get();
        if (s == null && task != null) {
            checkWidth(w);
            State fresh = new State(model.value(), w, Math.max(1, task.cpus()), TaskDevice.resolve(device, task));
            state = fresh;
            task.addTaskCompletionListener((TaskCompletionListener) ctx -> {
                state = null;
                fresh.close();
            });
            return score(fresh, features);
        }
        checkWidth(w);
        if (s != null && s.owner == Thread.currentThread()) {
            throw new IllegalArgumentException("Kiln UDF: this row has " + w + " features, but earlier rows had "
                    + s.dim + "; every row must have the same number of features");
        }
        // not in a task, or another thread: no reuse
        try (State once = new State(model.value(), w, 1, TaskDevice.resolve(device, TaskContext.get()))) {
            return score(once, features);
        }
    }

    private void checkWidth(int w) {
        if (numFeatures > 0 && w != numFeatures) {
            throw new IllegalArgumentException("Kiln UDF: the features value has " + w + " features, but the model "
                    + "takes " + numFeatures + " (numFeatures)");
        }
    }

    private Object score(State s, Object features) {
        write(features, s.buffer.memoryAddress(), s.dim);
        float[] y;
        int width;
        try (KilnContext ctx = KilnContext.builder().numThreads(s.threads).allocator(s.allocator).gcPressure(false)
                .open(); TensorScope scope = TensorScope.open(s.allocator); Autograd.Guard g = Autograd.noGrad()) {
            Tensor x = s.input.to(s.replica.device()); // the tensor itself on the CPU
            x = s.replica.dtype() == DType.FLOAT32 ? x : x.to(s.replica.dtype());
            Tensor out;
            try {
                out = s.replica.module().forward(x);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("Kiln UDF: the model rejected an input of shape [1, " + s.dim + "]: "
                        + e.getMessage() + ". Does the feature count match the model's input?", e);
            }
            width = out.dim() == 2 ? (int) out.size(1) : 1;
            String bad = layout.checkWidth(width);
            if (bad != null) {
                throw new IllegalArgumentException(bad);
            }
            y = out.toFloatArray();
        }
        if (output == Output.PREDICTION) {
            return layout.prediction(y, 0, width);
        }
        double[] raw = layout.raw(y, 0, width);
        return Vectors.dense(output == Output.RAW_PREDICTION ? raw : layout.probability(raw));
    }

    private static int width(Object features) {
        if (features instanceof Vector v) {
            return v.size();
        } else if (features instanceof scala.collection.Seq<?> seq) {
            return seq.size();
        }
        throw new IllegalArgumentException("Kiln UDF: features must be a Vector or an array of numbers, got "
                + features.getClass().getName());
    }

    private static void write(Object features, long address, int dim) {
        if (features instanceof DenseVector d) {
            double[] values = d.values();
            for (int i = 0; i < dim; i++) {
                Unsafe.putFloat(address + 4L * i, (float) values[i]);
            }
        } else if (features instanceof SparseVector sv) {
            Unsafe.setMemory(address, 4L * dim, (byte) 0);
            int[] idx = sv.indices();
            double[] values = sv.values();
            for (int k = 0; k < idx.length; k++) {
                Unsafe.putFloat(address + 4L * idx[k], (float) values[k]);
            }
        } else {
            scala.collection.Seq<?> seq = (scala.collection.Seq<?>) features;
            for (int i = 0; i < dim; i++) {
                Object e = seq.apply(i);
                if (e == null) {
                    throw new IllegalArgumentException("Kiln UDF: the features array has a null element at index " + i);
                }
                Unsafe.putFloat(address + 4L * i, ((Number) e).floatValue());
            }
        }
    }
}
