package dev.kiln.data;

import dev.kiln.KilnContext;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;

/**
 * One epoch of a {@link DataLoader}. With workers, worker {@code k} loads batches {@code k, k + W, k + 2W, ...}
 * into its own queue of {@code prefetchFactor} slots and the consumer takes batch {@code b} from queue
 * {@code b % W}, so batches arrive in sampler order however the threads are scheduled (PyTorch's round robin).
 *
 * <p>No wait is unbounded: workers offer and the consumer polls in short slices, checking for cancellation,
 * dead workers and the loader's timeout. {@link #close()} stops the workers and frees every batch still queued.
 */
final class LoaderIterator<T> implements Iterator<Batch>, AutoCloseable {
    private static final long SLICE_MS = 50;
    private static final long JOIN_MS = 10_000;
    private static final Object END = new Object();

    /** A worker's failure, handed to the consumer in batch order. */
    private record Failure(long batchIndex, Throwable cause) {
    }

    private final Fetcher<T> fetcher;
    private final Function<List<T>, Batch> collate;
    private final BufferAllocator allocator;
    private final Duration timeout;
    private final List<Thread> workers = new ArrayList<>();
    private final List<BlockingQueue<Object>> queues = new ArrayList<>();
    private volatile boolean cancelled;
    private long nextBatch;
    private Object ready;
    private boolean finished;

    LoaderIterator(Fetcher<T> fetcher, Function<List<T>, Batch> collate, BufferAllocator allocator,
                   int numWorkers, int prefetchFactor, Duration timeout) {
        this.fetcher = fetcher;
        this.collate = collate;
        this.allocator = allocator;
        this.timeout = timeout;
        for (int k = 0; k < numWorkers; k++) {
            queues.add(new ArrayBlockingQueue<>(prefetchFactor));
            int id = k;
            // The worker runs with the KilnContext of the thread creating this iterator (a Spark task's), so
            // transforms draw from that task's generator and allocate from its allocator, not the process's.
            Thread t = new Thread(KilnContext.propagate(() -> workerLoop(id, numWorkers)), "kiln-data-worker-" + k);
            t.setDaemon(true); // a forgotten iterator must not keep the JVM alive
            workers.add(t);
        }
        workers.forEach(Thread::start);
    }

    /**
     * Loads and collates batch {@code b} inside a private scope, so sample views and stack temporaries are freed
     * at once; the batch's own tensors are detached from it and owned by the returned batch alone.
     */
    private Object load(long b) {
        try (TensorScope scope = TensorScope.open(allocator)) {
            List<T> samples = fetcher.fetch(b);
            if (samples == null) {
                return END;
            }
            Batch batch = collate.apply(samples);
            for (Tensor t : batch.tensors()) {
                TensorScope.detach(t);
            }
            return batch;
        }
    }

    private void workerLoop(int id, int numWorkers) {
        BlockingQueue<Object> queue = queues.get(id);
        try {
            for (long b = id; !cancelled; b += numWorkers) {
                Object item;
                try {
                    item = load(b);
                } catch (Throwable e) {
                    item = new Failure(b, e);
                }
                if (!offer(queue, item) || item == END || item instanceof Failure) {
                    return;
                }
            }
        } finally {
            if (cancelled) {
                drain(queue); // the consumer may already have drained; whatever we added after is ours to free
            }
        }
    }

    /** Puts {@code item} unless cancelled first; frees a batch that can no longer be delivered. */
    private boolean offer(BlockingQueue<Object> queue, Object item) {
        try {
            while (!cancelled) {
                if (queue.offer(item, SLICE_MS, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeIfBatch(item);
        return false;
    }

    @Override
    public boolean hasNext() {
        if (ready == null && !finished) {
            ready = take();
            if (ready == END) {
                ready = null;
                finished = true;
                close();
            }
        }
        return ready != null;
    }

    @Override
    public Batch next() {
        if (!hasNext()) {
            throw new NoSuchElementException("DataLoader epoch is exhausted");
        }
        Batch b = (Batch) ready;
        ready = null;
        nextBatch++;
        return b;
    }

    /** The next batch (or END) in order; rethrows a worker's failure with the batch and worker named. */
    private Object take() {
        Object item;
        try {
            item = workers.isEmpty() ? load(nextBatch) : poll(nextBatch);
        } catch (RuntimeException | Error e) {
            close();
            if (e instanceof DataLoaderException) {
                throw e;
            }
            throw new DataLoaderException("DataLoader failed while loading " + fetcher.describe(nextBatch) + ": " + e,
                    e);
        }
        if (item instanceof Failure f) {
            close();
            throw new DataLoaderException("DataLoader worker " + (f.batchIndex % workers.size())
                    + " failed while loading " + fetcher.describe(f.batchIndex) + ": " + f.cause, f.cause);
        }
        return item;
    }

    /** Waits in slices for batch {@code b} from its worker, failing if the worker died or the timeout passed. */
    private Object poll(long b) {
        int k = (int) (b % workers.size());
        long deadline = timeout.isZero() ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                Object item = queues.get(k).poll(SLICE_MS, TimeUnit.MILLISECONDS);
                if (item != null) {
                    return item;
                }
                if (!workers.get(k).isAlive() && queues.get(k).isEmpty()) {
                    throw new DataLoaderException("DataLoader worker " + k + " exited unexpectedly before producing "
                            + fetcher.describe(b));
                }
                if (System.nanoTime() > deadline) {
                    throw new DataLoaderException("DataLoader timed out after " + timeout.toMillis()
                            + " ms waiting for worker " + k + " to load " + fetcher.describe(b));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataLoaderException("interrupted while waiting for " + fetcher.describe(b), e);
        }
    }

    /** Stops the workers and frees every batch not yet handed out (including a peeked one). Idempotent. */
    @Override
    public void close() {
        cancelled = true;
        finished = true;
        closeIfBatch(ready);
        ready = null;
        for (Thread t : workers) {
            t.interrupt();
        }
        for (Thread t : workers) {
            joinQuietly(t);
        }
        queues.forEach(LoaderIterator::drain);
    }

    /** Whether every worker thread has exited (for tests and diagnostics). */
    boolean workersStopped() {
        return workers.stream().noneMatch(Thread::isAlive);
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join(JOIN_MS); // bounded: a worker stuck in user code must not hang close(); it frees its own batch
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void drain(BlockingQueue<Object> queue) {
        Object item;
        while ((item = queue.poll()) != null) {
            closeIfBatch(item);
        }
    }

    private static void closeIfBatch(Object item) {
        if (item instanceof Batch b) {
            b.close();
        }
    }
}
