package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnContext;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DataLoaderTest extends KilnTest {
    /** x[i] = [i, i], y[i] = i: a batch's labels name the indices it holds. */
    private static TensorDataset rows(int n) {
        Tensor idx = Tensor.arange(0, n, 1, DType.FLOAT32);
        return new TensorDataset(Tensor.stack(List.of(idx, idx), 1), Tensor.arange(0, n, 1, DType.INT64));
    }

    /** The labels of every batch of one epoch, closing each batch. */
    private static List<long[]> epoch(DataLoader<?> loader) {
        List<long[]> out = new ArrayList<>();
        for (Batch batch : loader) {
            try (batch) {
                out.add(batch.labels().toLongArray());
            }
        }
        return out;
    }

    @Test
    void sequentialBatchesStackFeaturesAndLabels() {
        var loader = DataLoader.builder(rows(5)).batchSize(2).build();
        assertEquals(3, loader.length());
        Iterator<Batch> it = loader.iterator();
        try (Batch b = it.next()) {
            assertArrayEquals(new long[] {2, 2}, b.features().shape());
            assertArrayEquals(new float[] {0, 0, 1, 1}, b.features().toFloatArray());
            assertEquals(DType.INT64, b.labels().dtype());
            assertEquals(2, b.batchSize());
        }
        List<long[]> rest = new ArrayList<>();
        it.forEachRemaining(b -> {
            try (b) {
                rest.add(b.labels().toLongArray());
            }
        });
        assertArrayEquals(new long[] {4}, rest.get(1), "short last batch kept");
        assertEquals(2, epoch(DataLoader.builder(rows(5)).batchSize(2).dropLast(true).build()).size());
    }

    @Test
    void shuffleIsSeededCoversEverySampleAndChangesPerEpoch() {
        var loader = DataLoader.builder(rows(10)).batchSize(3).shuffle(true).generator(new Generator(5)).build();
        long[] e1 = flatten(epoch(loader));
        long[] e2 = flatten(epoch(loader));
        var again = DataLoader.builder(rows(10)).batchSize(3).shuffle(true).generator(new Generator(5)).build();
        assertArrayEquals(e1, flatten(epoch(again)));
        assertFalse(Arrays.equals(e1, e2));
        long[] sorted = e1.clone();
        Arrays.sort(sorted);
        assertArrayEquals(Permutations.range(10), sorted);
    }

    /** Each sample draws one number from the default generator of the thread that loads it. */
    private record Draws(long n) implements Dataset<List<Tensor>> {
        @Override
        public List<Tensor> get(long index) {
            return List.of(Tensor.of((float) Generator.defaultGenerator().nextDouble()), Tensor.of(index));
        }

        @Override
        public long size() {
            return n;
        }
    }

    @Test
    void workersRunWithTheKilnContextOfTheThreadThatStartedTheEpoch() {
        try (var loaderAlloc = allocator.newChildAllocator("task", 0, Long.MAX_VALUE);
             KilnContext ctx = KilnContext.builder().seed(123).allocator(loaderAlloc).open()) {
            var loader = DataLoader.builder(new Draws(8)).batchSize(8).numWorkers(1).allocator(loaderAlloc).build();
            float[] drawn;
            try (Batch b = loader.iterator().next()) {
                drawn = b.features().toFloatArray();
                assertTrue(loaderAlloc.getAllocatedMemory() > 0, "batch not allocated from the task's allocator");
            }
            Generator expected = new Generator(123);
            for (float v : drawn) {
                assertEquals((float) expected.nextDouble(), v, "worker did not draw from the context's generator");
            }
            loader.close();
        }
    }

    private static long[] flatten(List<long[]> batches) {
        return batches.stream().flatMapToLong(Arrays::stream).toArray();
    }

    /** Sleeps a pseudo-random time per sample so workers finish out of order. */
    private record Jittery(TensorDataset inner) implements Dataset<List<Tensor>> {
        @Override
        public List<Tensor> get(long index) {
            try {
                Thread.sleep((index * 7) % 5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return inner.get(index);
        }

        @Override
        public long size() {
            return inner.size();
        }
    }

    @Test
    void workersDeliverTheSameBatchesInTheSameOrderAsTheMainThread() {
        var ds = new Jittery(rows(37));
        var serial = DataLoader.builder(ds).batchSize(4).shuffle(true).generator(new Generator(9)).build();
        var parallel = DataLoader.builder(ds).batchSize(4).shuffle(true).generator(new Generator(9))
                .numWorkers(3).prefetchFactor(2).build();
        for (int e = 0; e < 2; e++) {
            List<long[]> a = epoch(serial);
            List<long[]> b = epoch(parallel);
            assertEquals(a.size(), b.size());
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i), b.get(i), "epoch " + e + " batch " + i);
            }
        }
    }

    @Test
    void tupleSamplesWithNumberLabelsCollateToInt64() {
        Dataset<List<Object>> ds = new Dataset<>() {
            @Override
            public List<Object> get(long i) {
                return List.of(Tensor.full(new long[] {3}, i), (int) i % 2);
            }

            @Override
            public long size() {
                return 4;
            }
        };
        var loader = DataLoader.builder(ds).batchSize(4).numWorkers(1).build();
        try (Batch b = loader.iterator().next()) {
            assertArrayEquals(new long[] {4, 3}, b.features().shape());
            assertEquals(DType.INT64, b.labels().dtype());
            assertArrayEquals(new long[] {0, 1, 0, 1}, b.labels().toLongArray());
        }
        loader.close();
    }

    @Test
    void workerExceptionReachesTheConsumerWithTheBatchAndWorkerNamed() {
        Dataset<List<Tensor>> bad = new Dataset<>() {
            final TensorDataset inner = rows(20);

            @Override
            public List<Tensor> get(long i) {
                if (i == 13) {
                    throw new IllegalStateException("corrupt record 13");
                }
                return inner.get(i);
            }

            @Override
            public long size() {
                return 20;
            }
        };
        var loader = DataLoader.builder(bad).batchSize(4).numWorkers(2).build();
        var it = (LoaderIterator<?>) loader.iterator();
        var e = assertThrows(DataLoaderException.class, () -> {
            while (it.hasNext()) {
                it.next().close();
            }
        });
        assertTrue(e.getMessage().contains("worker 1") && e.getMessage().contains("batch 3")
                && e.getMessage().contains("corrupt record 13"), e.getMessage());
        assertTrue(e.getCause() instanceof IllegalStateException);
        assertTrue(it.workersStopped(), "workers shut down after the failure");
        var serial = DataLoader.builder(bad).batchSize(4).build();
        var e0 = assertThrows(DataLoaderException.class, () -> epoch(serial));
        assertTrue(e0.getMessage().contains("indices [12, 13, 14, 15]"), e0.getMessage());
    }

    @Test
    void breakingOutEarlyAndClosingFreesQueuedBatchesAndStopsWorkers() {
        var loader = DataLoader.builder(rows(100)).batchSize(2).numWorkers(2).prefetchFactor(3).build();
        var it = (LoaderIterator<?>) loader.iterator();
        try (Batch b = it.next()) {
            assertEquals(2, b.batchSize());
        }
        loader.close(); // batches still queued in the workers' queues must be freed (the test's allocator checks)
        assertTrue(it.workersStopped());
        assertFalse(it.hasNext());
        // A new epoch after an early break starts cleanly.
        assertEquals(50, epoch(loader).size());
    }

    @Test
    void prefetchIsBoundedByPrefetchFactor() throws InterruptedException {
        AtomicInteger loaded = new AtomicInteger();
        Dataset<Tensor> counting = new Dataset<>() {
            @Override
            public Tensor get(long i) {
                loaded.incrementAndGet();
                return Tensor.scalar(i);
            }

            @Override
            public long size() {
                return 1000;
            }
        };
        try (var loader = DataLoader.builder(counting).numWorkers(2).prefetchFactor(2).build()) {
            var it = loader.iterator();
            it.next().close();
            Thread.sleep(300);
            // Each worker holds at most prefetchFactor queued batches plus one it is trying to hand over.
            assertTrue(loaded.get() <= 1 + 2 * (2 + 1), "loaded " + loaded.get());
        }
    }

    @Test
    void timeoutFailsInsteadOfHanging() {
        Dataset<Tensor> stuck = new Dataset<>() {
            @Override
            public Tensor get(long i) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Tensor.scalar(i);
            }

            @Override
            public long size() {
                return 4;
            }
        };
        var loader = DataLoader.builder(stuck).numWorkers(1).timeout(Duration.ofMillis(200)).build();
        var e = assertThrows(DataLoaderException.class, () -> loader.iterator().next());
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
    }

    @Test
    void batchesAreOwnedByTheBatchNotByTheConsumersScope() {
        var loader = DataLoader.builder(rows(4)).batchSize(2).build();
        Batch kept;
        try (TensorScope inner = TensorScope.open()) {
            kept = loader.iterator().next();
        }
        assertFalse(kept.features().isClosed(), "closing the consumer's scope must not free the batch");
        kept.close();
        assertTrue(kept.features().isClosed() && kept.labels().isClosed());
        loader.close();
    }

    @Test
    void iterableDatasetIsBatchedInOrderOnZeroOrOneWorker() {
        IterableDataset<Tensor> stream = () -> java.util.stream.LongStream.range(0, 7)
                .mapToObj(i -> Tensor.scalar(i, DType.INT64)).iterator();
        for (int workers = 0; workers <= 1; workers++) {
            var loader = DataLoader.builder(stream).batchSize(3).numWorkers(workers).build();
            List<long[]> got = new ArrayList<>();
            for (Batch b : loader) {
                try (b) {
                    got.add(b.features().toLongArray());
                }
            }
            assertEquals(3, got.size());
            assertArrayEquals(new long[] {6}, got.get(2));
        }
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(stream).numWorkers(2).build());
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(stream).shuffle(true).build());
        assertThrows(UnsupportedOperationException.class, () -> DataLoader.builder(stream).build().length());
    }

    @Test
    void builderRejectsContradictoryOptions() {
        var ds = rows(3);
        assertThrows(IllegalArgumentException.class,
                () -> DataLoader.builder(ds).shuffle(true).sampler(new SequentialSampler(3)).build());
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(ds).prefetchFactor(2).build());
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(ds).batchSize(0).build());
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(ds).numWorkers(-1).build());
    }

    @Test
    void defaultCollateNamesTheMismatchedShapes() {
        Dataset<Tensor> ragged = new Dataset<>() {
            @Override
            public Tensor get(long i) {
                return Tensor.zeros(i + 1);
            }

            @Override
            public long size() {
                return 2;
            }
        };
        var e = assertThrows(DataLoaderException.class,
                () -> epoch(DataLoader.builder(ragged).batchSize(2).build()));
        assertTrue(e.getMessage().contains("[1]") && e.getMessage().contains("[2]"), e.getMessage());
    }

    @Test
    void distributedSamplerDrivesTheLoader() {
        var sampler = new DistributedSampler(10, 1, 2, false, 0, false);
        var loader = DataLoader.builder(rows(10)).batchSize(5).sampler(sampler).build();
        assertArrayEquals(new long[] {1, 3, 5, 7, 9}, epoch(loader).get(0));
    }
}
