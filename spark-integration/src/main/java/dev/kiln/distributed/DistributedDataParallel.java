package dev.kiln.distributed;

import dev.kiln.autograd.Autograd;
import dev.kiln.nn.Module;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Data-parallel training of a module over a {@link ProcessGroup}, like PyTorch's
 * {@code torch.nn.parallel.DistributedDataParallel}: every rank runs the same model on its own shard of the
 * global batch, and after {@code loss.backward()} returns every rank holds the gradients averaged over all
 * ranks, so identical optimizer steps keep the replicas identical.
 *
 * <pre>{@code
 * var ddp = new DistributedDataParallel<>(model, pg);   // rank 0's weights are broadcast to every rank
 * for (Batch b : myShard) {
 *     optimizer.zeroGrad();
 *     Tensor loss = lossFn.forward(ddp.forward(b.features()), b.labels());   // mean over the local batch
 *     loss.backward();        // gradients all-reduced (AVG) in buckets while backward runs
 *     optimizer.step();
 * }
 * }</pre>
 *
 * <p>With a mean-reduced loss and equal local batch sizes, the averaged gradient is exactly the gradient of the
 * loss over the global batch: {@code (1/n) sum_r (1/b) sum_{i in r} dl_i = (1/(nb)) sum_i dl_i}.
 *
 * <p>How: on construction, parameters and buffers are broadcast from rank 0 and gradients are grouped into
 * buckets of {@link Options#bucketBytes()} in reverse parameter order ({@link Buckets}). {@link #forward} arms
 * the next backward; each bucket's all-reduce starts on a communication thread as soon as the last of its
 * gradients is accumulated (a post-accumulate-grad hook), overlapping the rest of backward; an engine final
 * callback waits for all of them before {@code backward()} returns ({@link GradSync}).
 *
 * <p>Semantics to know:
 * <ul>
 *   <li>A parameter that received no gradient in a synchronised backward (an unused branch on this rank) counts
 *       as a zero gradient in the average, and gets a gradient tensor (PyTorch's
 *       {@code find_unused_parameters=True} behaviour, without its extra pass; a parameter unused on every rank
 *       ends with a zero gradient instead of {@code None}).</li>
 *   <li>{@link #noSync()} accumulates gradients locally; the first synchronised backward after it averages the
 *       accumulated sums (PyTorch's {@code no_sync()}).</li>
 *   <li>Only the first backward after a forward synchronises; call forward once per backward, as in PyTorch.</li>
 *   <li>With {@link Options#broadcastBuffers()} (the default) buffers such as BatchNorm running statistics are
 *       broadcast from rank 0 before each forward, like PyTorch.</li>
 *   <li>Convert dtypes ({@code module.to(...)}) before wrapping: the hooks belong to the parameter tensors.</li>
 *   <li>{@link #close()} stops the communication thread, removes the hooks and closes the wrapped module (a
 *       child of this one); it does not close the process group.</li>
 * </ul>
 */
public class DistributedDataParallel<M extends Module> extends Module {
    /**
     * @param bucketBytes      gradient bucket cap ({@code bucket_cap_mb}; 25 MiB)
     * @param firstBucketBytes cap of the first bucket, small so communication starts early (1 MiB)
     * @param broadcastBuffers broadcast buffers from rank 0 before every forward (true)
     * @param timeout          the longest backward waits for the bucket all-reduces at its end (30 min; the
     *                         process group's own op timeout normally fires first)
     */
    public record Options(long bucketBytes, long firstBucketBytes, boolean broadcastBuffers, Duration timeout) {
        public Options {
            if (bucketBytes < 1 || firstBucketBytes < 1) {
                throw new IllegalArgumentException("bucket sizes must be >= 1 byte, got bucketBytes=" + bucketBytes
                        + ", firstBucketBytes=" + firstBucketBytes);
            }
            Objects.requireNonNull(timeout, "timeout");
        }

        public static Options defaults() {
            return new Options(TcpOptions.DEFAULT_BUCKET_BYTES, 1L << 20, true, Duration.ofMinutes(30));
        }

        /** Defaults with the bucket size of {@code pg}'s {@link TcpOptions}, when it is a {@link TcpProcessGroup}. */
        static Options defaultsFor(ProcessGroup pg) {
            Options d = defaults();
            return pg instanceof TcpProcessGroup tcp ? d.withBucketBytes(tcp.options().bucketBytes()) : d;
        }

        public Options withBucketBytes(long bytes) {
            return new Options(bytes, Math.min(firstBucketBytes, bytes), broadcastBuffers, timeout);
        }

        public Options withFirstBucketBytes(long bytes) {
            return new Options(bucketBytes, bytes, broadcastBuffers, timeout);
        }

        public Options withBroadcastBuffers(boolean broadcast) {
            return new Options(bucketBytes, firstBucketBytes, broadcast, timeout);
        }
    }

    private final M module;
    private final ProcessGroup pg;
    private final Options options;
    private final GradSync sync;
    private boolean syncEnabled = true;
    private boolean closed;

    /** Wraps {@code module} with the default options (bucket size from the group's {@link TcpOptions}). */
    public DistributedDataParallel(M module, ProcessGroup pg) {
        this(module, pg, Options.defaultsFor(Objects.requireNonNull(pg, "pg")));
    }

    public DistributedDataParallel(M module, ProcessGroup pg, Options options) {
        this.module = registerModule("module", Objects.requireNonNull(module, "module"));
        this.pg = Objects.requireNonNull(pg, "pg");
        this.options = Objects.requireNonNull(options, "options");
        try (var g = Autograd.noGrad()) {
            for (Tensor t : module.parameters()) {
                pg.broadcast(t, 0);
            }
            for (Tensor t : module.buffers()) {
                pg.broadcast(t, 0);
            }
        }
        List<Tensor> trainable = new ArrayList<>();
        for (Tensor p : module.parameters()) {
            if (p.requiresGrad()) {
                trainable.add(p);
            }
        }
        this.sync = new GradSync(pg, trainable, options.firstBucketBytes(), options.bucketBytes(), options.timeout());
    }

    public M module() {
        return module;
    }

    public ProcessGroup processGroup() {
        return pg;
    }

    public Options options() {
        return options;
    }

    /** Runs the wrapped module's forward; the next backward averages gradients (unless inside {@link #noSync()}). */
    @Override
    public Tensor forward(Tensor input) {
        return forward(m -> m.forward(input));
    }

    /** Runs any forward of the wrapped module, e.g. {@code ddp.forward(m -> m.forward(x, mask))}. */
    public <R> R forward(Function<? super M, R> call) {
        if (closed) {
            throw new IllegalStateException("DistributedDataParallel was closed");
        }
        if (options.broadcastBuffers() && pg.worldSize() > 1) {
            try (var g = Autograd.noGrad()) {
                for (Tensor b : module.buffers()) {
                    pg.broadcast(b, 0);
                }
            }
        }
        if (syncEnabled && Autograd.isGradEnabled()) {
            sync.prepare();
        }
        return call.apply(module);
    }

    /**
     * Disables gradient averaging until the returned guard closes, like {@code ddp.no_sync()}: backward passes
     * of forwards run inside accumulate into {@code .grad} locally; the first synchronised backward after it
     * averages the accumulated gradients.
     */
    public NoSync noSync() {
        boolean previous = syncEnabled;
        syncEnabled = false;
        return new NoSync(() -> syncEnabled = previous);
    }

    /** Restores synchronisation on close. */
    public static final class NoSync implements AutoCloseable {
        private Runnable restore;

        private NoSync(Runnable restore) {
            this.restore = restore;
        }

        @Override
        public void close() {
            if (restore != null) {
                restore.run();
                restore = null;
            }
        }
    }

    /**
     * Takes part in this step's gradient averaging without a backward pass, e.g. on a rank whose shard has no rows
     * left this step: its gradients (zeros where it has none) go through the same bucketed all-reduces that the
     * other ranks' backward passes launch, so no rank waits for it. Call it where the others call backward.
     */
    public void syncGradientsWithoutBackward() {
        if (closed) {
            throw new IllegalStateException("DistributedDataParallel was closed");
        }
        sync.syncWithoutBackward();
    }

    /** Number of gradient buckets (for tests and logs). */
    public int bucketCount() {
        return sync.bucketCount();
    }

    /** Buckets whose all-reduce started while the last backward was still running (overlap; for tests/logs). */
    public int bucketsLaunchedDuringLastBackward() {
        return sync.launchedDuringBackward();
    }

    /**
     * Averages the gradients of {@code params} over all ranks in place (AVG all-reduce, one call per dtype), for
     * custom loops that do not use the wrapper: call it between {@code backward()} and {@code step()}. Parameters
     * that do not require grad are skipped; one without a gradient gets zeros first (it counts as zero). Every
     * rank must pass the same parameters in the same order.
     */
    public static void averageGradients(ProcessGroup pg, Iterable<Tensor> params) {
        Map<DType, List<Tensor>> byDtype = new LinkedHashMap<>();
        for (Tensor p : params) {
            if (!p.requiresGrad()) {
                continue;
            }
            Tensor g = p.grad();
            if (g == null) {
                p.setGrad(TensorScope.detach(Tensor.zerosLike(p)));
            } else if (!g.isContiguous()) {
                p.setGrad(TensorScope.detach(g.contiguous()));
            }
            byDtype.computeIfAbsent(p.dtype(), d -> new ArrayList<>()).add(p.grad());
        }
        for (List<Tensor> grads : byDtype.values()) {
            pg.allReduce(grads, ReduceOp.AVG);
        }
    }

    /** Stops the communication thread, removes the hooks, then closes the wrapped module. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            sync.close();
        }
        super.close();
    }
}
