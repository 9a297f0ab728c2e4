package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ParquetDataset inside a DataLoader (prefetch, sharding) feeding the MNIST-shaped MLP end to end. */
class ParquetTrainingTest extends KilnTest {
    private static final int N = 784;

    @TempDir
    Path dir;

    /** MNIST-shaped rows written by FeatureLabelWriter: the label is the 78-pixel block holding the most ink. */
    private Path mnistLike(int rows, int rowGroupRows) throws IOException {
        Path f = dir.resolve("mnist-like.parquet");
        Random r = new Random(7);
        try (FeatureLabelWriter w = new FeatureLabelWriter(f.toString(), 128L << 20, rowGroupRows)) {
            for (int i = 0; i < rows; i++) {
                int label = r.nextInt(10);
                float[] x = new float[N];
                for (int j = 0; j < N; j++) {
                    boolean ink = j / 78 == label ? r.nextInt(2) == 0 : r.nextInt(10) == 0;
                    x[j] = ink ? (r.nextInt(255) + 1) / 255f : 0f;
                }
                w.write(x, label);
            }
        }
        return f;
    }

    @Test
    void mlpTrainsFromParquetThroughADataLoader() throws IOException {
        Kiln.manualSeed(0);
        Path f = mnistLike(512, 128);
        Sequential model = new Sequential(new Linear(N, 256), new ReLU(), new Linear(256, 128), new ReLU(),
                new Linear(128, 10));
        CrossEntropyLoss criterion = new CrossEntropyLoss();
        Adam optimizer = new Adam(model.parameters(), 1e-3);
        List<Double> epochLoss = new ArrayList<>();
        try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("features").label("label")
                .batchSize(64).shuffle(true).seed(1).numThreads(2).build();
             DataLoader<Batch> loader = DataLoader.builder(ds).autoBatching(false).numWorkers(1).build()) {
            for (int epoch = 0; epoch < 4; epoch++) {
                double sum = 0;
                int steps = 0;
                for (Batch b : loader) {
                    try (b; TensorScope scope = TensorScope.open()) {
                        assertArrayEquals(new long[] {64, N}, b.features().shape());
                        optimizer.zeroGrad();
                        Tensor loss = criterion.forward(model.forward(b.features()), b.labels());
                        loss.backward();
                        optimizer.step();
                        sum += loss.item();
                        steps++;
                    }
                }
                assertEquals(8, steps, "512 rows / batch 64");
                epochLoss.add(sum / steps);
            }
        } finally {
            optimizer.close();
            criterion.close();
            model.close();
        }
        assertTrue(epochLoss.get(0) > 1.5, "starts near ln(10): " + epochLoss);
        assertTrue(epochLoss.get(3) < 0.5 * epochLoss.get(0), "the MLP learns from the Parquet rows: " + epochLoss);
    }

    /** Two ranks through two loaders read disjoint row groups that together cover the file once. */
    @Test
    void shardedLoadersSplitTheRowGroups() throws IOException {
        Path f = ParquetTestFiles.features(dir.resolve("s.parquet"), 0, 40, 3, 10);
        List<Integer> all = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            try (ParquetDataset ds = ParquetDataset.builder(f.toString()).features("features").label("label")
                    .batchSize(4).shard(rank, 2).build();
                 DataLoader<Batch> loader = DataLoader.builder(ds).autoBatching(false).numWorkers(1)
                         .prefetchFactor(3).build()) {
                List<Integer> rows = ParquetDatasetTest.rowsOf(loader, 3);
                assertEquals(20, rows.size(), "rank " + rank);
                all.addAll(rows);
            }
        }
        all.sort(null);
        for (int i = 0; i < 40; i++) {
            assertEquals(i, all.get(i));
        }
    }

    @Test
    void autoBatchingOffNeedsAnIterableOfBatches() {
        var e = assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(new TensorDataset(
                Tensor.zeros(4, 2))).autoBatching(false).build());
        assertTrue(e.getMessage().contains("autoBatching(false) needs an IterableDataset"), e.getMessage());
        IterableDataset<Tensor> notBatches = () -> List.of(Tensor.zeros(2)).iterator();
        try (DataLoader<Tensor> loader = DataLoader.builder(notBatches).autoBatching(false).build()) {
            var e2 = assertThrows(RuntimeException.class, () -> loader.iterator().next());
            assertTrue(String.valueOf(e2.getMessage()).contains("Batch") || e2.getCause() != null, e2.toString());
        }
    }
}
