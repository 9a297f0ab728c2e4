package dev.kiln.distributed;

import dev.kiln.autograd.Autograd;
import dev.kiln.autograd.RemovableHandle;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The gradient side of {@link DistributedDataParallel} (PyTorch's {@code Reducer}): one synchronised backward
 * pass is a <em>round</em>. {@link #prepare()} (called by forward) arms the round; each parameter's
 * post-accumulate-grad hook marks it ready, and when every parameter of the next bucket is ready that bucket's
 * all-reduce (AVG, in place on the {@code .grad} tensors) is handed to the communication thread while backward
 * continues. Buckets are launched strictly in index order, so every rank issues the same collectives in the
 * same order whatever order its hooks fire in. The first hook queues {@link #finish()} as the engine's final
 * callback: it treats parameters that got no gradient as zeros, launches what is left, and waits for every
 * bucket, so when {@code backward()} returns all ranks hold the same averaged gradients.
 *
 * <p>Hooks and the final callback run on the backward thread; the communication thread only runs
 * {@link ProcessGroup#allReduce} on tensors the backward pass no longer touches.
 */
final class GradSync implements AutoCloseable {
    private final ProcessGroup pg;
    private final List<Tensor> params;
    private final List<int[]> buckets;
    private final int[] bucketOf;
    private final Duration timeout;
    private final List<RemovableHandle> hooks = new ArrayList<>();
    private final ExecutorService comm;

    // Round state, touched only by the thread running forward/backward.
    private boolean armed;
    private boolean finishQueued;
    private final boolean[] ready;
    private final int[] pending;
    private int nextBucket;
    private final List<Future<?>> inFlight = new ArrayList<>();
    private int launchedDuringBackward;

    GradSync(ProcessGroup pg, List<Tensor> params, long firstBucketBytes, long bucketBytes, Duration timeout) {
        this.pg = pg;
        this.params = List.copyOf(params);
        this.buckets = Buckets.assign(this.params, firstBucketBytes, bucketBytes);
        this.bucketOf = new int[this.params.size()];
        for (int b = 0; b < buckets.size(); b++) {
            for (int i : buckets.get(b)) {
                bucketOf[i] = b;
            }
        }
        this.timeout = timeout;
        this.ready = new boolean[this.params.size()];
        this.pending = new int[buckets.size()];
        this.comm = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kiln-ddp-comm-r" + pg.rank());
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < this.params.size(); i++) {
            int index = i;
            hooks.add(this.params.get(i).registerPostAccumulateGradHook(p -> onGradReady(index)));
        }
    }

    int bucketCount() {
        return buckets.size();
    }

    /** Buckets of the last round whose all-reduce started from a hook, i.e. while backward was still running. */
    int launchedDuringBackward() {
        return launchedDuringBackward;
    }

    /** Arms the next backward pass for synchronisation (forward outside {@code noSync} with grad enabled). */
    void prepare() {
        if (finishQueued || !inFlight.isEmpty()) {
            abandonRound(); // the previous backward failed before its final callback
        }
        armed = true;
        launchedDuringBackward = 0;
        Arrays.fill(ready, false);
        for (int b = 0; b < buckets.size(); b++) {
            pending[b] = buckets.get(b).length;
        }
        nextBucket = 0;
    }

    private void onGradReady(int index) {
        if (!armed) {
            return; // no_sync, or a second backward of one forward: gradients stay local
        }
        if (ready[index]) {
            throw new IllegalStateException("Expected to mark a variable ready only once: parameter " + index
                    + " received its gradient twice in one synchronised backward pass");
        }
        if (!finishQueued) {
            Autograd.queueCallback(this::finish);
            finishQueued = true;
        }
        Tensor p = params.get(index);
        makeContiguous(p);
        ready[index] = true;
        if (--pending[bucketOf[index]] == 0) {
            launchedDuringBackward += launchReady();
        }
    }

    /** Launches every consecutive ready bucket from {@link #nextBucket}; returns how many. */
    private int launchReady() {
        int launched = 0;
        while (nextBucket < buckets.size() && pending[nextBucket] == 0) {
            List<Tensor> grads = new ArrayList<>();
            for (int i : buckets.get(nextBucket)) {
                grads.add(params.get(i).grad());
            }
            inFlight.add(comm.submit(() -> pg.allReduce(grads, ReduceOp.AVG)));
            nextBucket++;
            launched++;
        }
        return launched;
    }

    /**
     * A round with no backward on this rank (it has no rows this step, say): its current gradients — zeros where
     * it has none — join the same bucketed all-reduces the other ranks' backward passes launch.
     */
    void syncWithoutBackward() {
        prepare();
        finish();
    }

    /** The final callback: unused parameters count as zero gradients; waits for every bucket. */
    private void finish() {
        try {
            for (int i = 0; i < params.size(); i++) {
                if (!ready[i]) {
                    Tensor p = params.get(i);
                    if (p.grad() == null) {
                        p.setGrad(TensorScope.detach(Tensor.zerosLike(p)));
                    }
                    makeContiguous(p);
                    ready[i] = true;
                    pending[bucketOf[i]]--;
                }
            }
            launchReady();
            awaitAll();
        } finally {
            armed = false;
            finishQueued = false;
        }
    }

    private void awaitAll() {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (Future<?> f : inFlight) {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof RuntimeException r ? r : new DistributedException("gradient all-reduce failed on "
                    + "rank " + pg.rank() + ": " + cause, cause);
        } catch (TimeoutException e) {
            throw new DistributedException("rank " + pg.rank() + " timed out after " + timeout + " waiting for its "
                    + "gradient all-reduces to finish");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DistributedException("rank " + pg.rank() + " was interrupted waiting for gradient all-reduces");
        } finally {
            inFlight.clear();
        }
    }

    /** Drops a round whose backward failed: waits (bounded) for its all-reduces so no grad is touched mid-flight. */
    private void abandonRound() {
        try {
            awaitAll();
        } catch (RuntimeException ignored) {
            // the failed backward already reported the problem; a broken group fails the next collective anyway
        } finally {
            armed = false;
            finishQueued = false;
        }
    }

    private static void makeContiguous(Tensor p) {
        Tensor g = p.grad();
        if (g != null && !g.isContiguous()) {
            p.setGrad(TensorScope.detach(g.contiguous()));
        }
    }

    @Override
    public void close() {
        for (RemovableHandle h : hooks) {
            h.remove();
        }
        hooks.clear();
        comm.shutdownNow();
        try {
            if (!comm.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new DistributedException("rank " + pg.rank() + "'s DDP communication thread did not stop within "
                        + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
