package dev.kiln.distributed;

import dev.kiln.Kiln;
import dev.kiln.tensor.TensorScope;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.arrow.memory.BufferAllocator;

/**
 * N ranks as N threads of this JVM on 127.0.0.1, each with its own listener, process group, and a tensor scope
 * over its own child allocator that must be back to zero bytes when the rank ends (a per-rank leak check). The
 * addresses are exchanged through memory, standing in for Spark's {@code BarrierTaskContext.allGather}.
 */
final class LocalRanks {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** What one rank does with its connected group; the result must not hold tensors (they are freed). */
    interface Body<T> {
        T run(TcpProcessGroup pg) throws Exception;
    }

    private LocalRanks() {
    }

    static byte[] secret() {
        byte[] s = new byte[32];
        new SecureRandom().nextBytes(s);
        return s;
    }

    static TcpOptions fast() {
        return TcpOptions.defaults().withConnectTimeout(Duration.ofSeconds(20)).withOpTimeout(Duration.ofSeconds(20));
    }

    /** Runs {@code body} on every rank; returns the results by rank or throws the first rank's failure. */
    static <T> List<T> run(int world, TcpOptions options, Body<T> body) throws Exception {
        List<Outcome<T>> outcomes = runAll(world, options, body);
        List<T> results = new ArrayList<>();
        for (Outcome<T> o : outcomes) {
            if (o.error != null) {
                throw new AssertionError("rank " + o.rank + " failed: " + o.error, o.error);
            }
            results.add(o.value);
        }
        return results;
    }

    /** One rank's result or error. */
    record Outcome<T>(int rank, T value, Throwable error) {
    }

    /** Runs {@code body} on every rank and returns every outcome, failures included (for the bad-case tests). */
    static <T> List<Outcome<T>> runAll(int world, TcpOptions options, Body<T> body) throws Exception {
        byte[] secret = secret();
        String[] addresses = new String[world];
        CountDownLatch published = new CountDownLatch(world);
        ExecutorService pool = Executors.newFixedThreadPool(world);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    Thread.currentThread().setName("test-rank-" + rank);
                    BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("rank " + rank, 0, Long.MAX_VALUE);
                    try (TensorScope scope = TensorScope.open(alloc);
                         TcpProcessGroup.Listener listener = TcpProcessGroup.listen(LOOPBACK, secret, options)) {
                        addresses[rank] = listener.address();
                        published.countDown();
                        if (!published.await(30, TimeUnit.SECONDS)) {
                            throw new AssertionError("the other ranks did not publish their addresses");
                        }
                        try (TcpProcessGroup pg = listener.connect(rank, Arrays.asList(addresses))) {
                            return body.run(pg);
                        }
                    } finally {
                        alloc.close(); // throws if this rank leaked a buffer
                    }
                }));
            }
            List<Outcome<T>> outcomes = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                try {
                    outcomes.add(new Outcome<>(r, futures.get(r).get(120, TimeUnit.SECONDS), null));
                } catch (ExecutionException e) {
                    outcomes.add(new Outcome<>(r, null, e.getCause()));
                } catch (TimeoutException e) {
                    throw new AssertionError("rank " + r + " hung for 120 s", e);
                }
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    /** Names of live threads that Kiln's distributed code started (must be none after everything closed). */
    static List<String> kilnThreads() {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && (t.getName().startsWith("kiln-ring") || t.getName().startsWith("kiln-ddp"))) {
                names.add(t.getName());
            }
        }
        return names;
    }
}
