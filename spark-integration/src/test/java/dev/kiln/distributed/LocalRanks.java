package dev.kiln.distributed;

import dev.kiln.Kiln;
import dev.kiln.KilnContext;
import dev.kiln.tensor.TensorScope;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
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
        return runAll(world, options, r -> secret, Map.of(), body);
    }

    /**
     * Like {@link #runAll(int, TcpOptions, Body)}, with each rank's secret from {@code secretOf}; ranks listed in
     * {@code external} are not started, their address is given (a listener the test holds, or a dead port).
     * Outcomes are listed for the started ranks only, in rank order.
     */
    static <T> List<Outcome<T>> runAll(int world, TcpOptions options, IntFunction<byte[]> secretOf,
                                       Map<Integer, String> external, Body<T> body) throws Exception {
        String[] addresses = new String[world];
        external.forEach((r, a) -> addresses[r] = a);
        CountDownLatch published = new CountDownLatch(world - external.size());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, world - external.size()));
        try {
            List<Future<T>> futures = new ArrayList<>();
            List<Integer> started = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                if (external.containsKey(r)) {
                    continue;
                }
                started.add(r);
                int rank = r;
                byte[] secret = secretOf.apply(r);
                futures.add(pool.submit(() -> {
                    Thread.currentThread().setName("test-rank-" + rank);
                    BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("rank " + rank, 0, Long.MAX_VALUE);
                    try (KilnContext ctx = KilnContext.builder().seed(1000 + rank).numThreads(1).allocator(alloc)
                            .open();
                         TensorScope scope = TensorScope.open(alloc);
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
            for (int i = 0; i < started.size(); i++) {
                int r = started.get(i);
                try {
                    outcomes.add(new Outcome<>(r, futures.get(i).get(120, TimeUnit.SECONDS), null));
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

    /**
     * Starts one rank on its own thread (with its own leak-checked allocator) that connects {@code listener} as
     * {@code rank} of {@code addresses} and runs {@code body}; the listener is closed by connect.
     */
    static <T> CompletableFuture<T> start(TcpProcessGroup.Listener listener, int rank, List<String> addresses,
                                          Body<T> body) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("rank " + rank, 0, Long.MAX_VALUE);
            try {
                try (KilnContext ctx = KilnContext.builder().seed(1000 + rank).numThreads(1).allocator(alloc).open();
                     TensorScope scope = TensorScope.open(alloc);
                     TcpProcessGroup pg = listener.connect(rank, addresses)) {
                    result.complete(body.run(pg));
                } finally {
                    alloc.close();
                }
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "test-rank-" + rank);
        t.start();
        return result;
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
