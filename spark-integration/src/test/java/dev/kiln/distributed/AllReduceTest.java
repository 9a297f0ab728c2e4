package dev.kiln.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Ring all-reduce against references computed here in float64 from the same inputs: every op, dtype and world
 * size 1..4, odd lengths, fewer elements than ranks, many tensors, multi-MB tensors; and every rank must hold
 * bit-identical results.
 */
class AllReduceTest extends KilnTest {
    /** Rank r's deterministic input for tensor i of length n. */
    static double[] input(int rank, int tensor, int n, DType dtype) {
        Random rnd = new Random(1000L * rank + tensor);
        double[] v = new double[n];
        for (int k = 0; k < n; k++) {
            v[k] = dtype == DType.INT64 ? rnd.nextInt(2001) - 1000 : rnd.nextGaussian() * 10;
            if (dtype == DType.FLOAT32) {
                v[k] = (float) v[k];
            }
        }
        return v;
    }

    static double[] reference(int world, int tensor, int n, DType dtype, ReduceOp op) {
        double[] out = input(0, tensor, n, dtype);
        for (int r = 1; r < world; r++) {
            double[] v = input(r, tensor, n, dtype);
            for (int k = 0; k < n; k++) {
                out[k] = switch (op) {
                    case SUM, AVG -> out[k] + v[k];
                    case MAX -> Math.max(out[k], v[k]);
                    case MIN -> Math.min(out[k], v[k]);
                };
            }
        }
        if (op == ReduceOp.AVG) {
            for (int k = 0; k < n; k++) {
                out[k] /= world;
            }
        }
        return out;
    }

    static Tensor tensorOf(double[] v, DType dtype) {
        return Tensor.of(v).to(dtype);
    }

    /** Runs allReduce on every rank over tensors of the given lengths; returns each rank's results as raw bits. */
    static List<long[][]> allReduce(int world, int[] lengths, DType dtype, ReduceOp op, TcpOptions options)
            throws Exception {
        return LocalRanks.run(world, options, pg -> {
            List<Tensor> ts = new ArrayList<>();
            for (int i = 0; i < lengths.length; i++) {
                ts.add(tensorOf(input(pg.rank(), i, lengths[i], dtype), dtype));
            }
            pg.allReduce(ts, op);
            long[][] bits = new long[lengths.length][];
            for (int i = 0; i < lengths.length; i++) {
                bits[i] = rawBits(ts.get(i));
            }
            return bits;
        });
    }

    static long[] rawBits(Tensor t) {
        long[] out = new long[(int) t.numel()];
        for (int k = 0; k < out.length; k++) {
            out[k] = switch (t.dtype()) {
                case FLOAT32 -> Float.floatToRawIntBits((float) t.getDouble(k));
                case FLOAT64 -> Double.doubleToRawLongBits(t.getDouble(k));
                default -> t.getLong(k);
            };
        }
        return out;
    }

    static double fromBits(long bits, DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> Float.intBitsToFloat((int) bits);
            case FLOAT64 -> Double.longBitsToDouble(bits);
            default -> bits;
        };
    }

    static void check(int world, int[] lengths, DType dtype, ReduceOp op, List<long[][]> results) {
        for (int r = 1; r < world; r++) {
            for (int i = 0; i < lengths.length; i++) {
                assertArrayEquals(results.get(0)[i], results.get(r)[i],
                        "rank " + r + " tensor " + i + " differs bitwise from rank 0 (" + dtype + " " + op + ")");
            }
        }
        for (int i = 0; i < lengths.length; i++) {
            double[] expected = reference(world, i, lengths[i], dtype, op);
            for (int k = 0; k < lengths[i]; k++) {
                double got = fromBits(results.get(0)[i][k], dtype);
                // float32 sums of world terms of magnitude ~30 round at ~world * 2^-24 relative
                double tol = dtype == DType.FLOAT32 && (op == ReduceOp.SUM || op == ReduceOp.AVG)
                        ? 1e-5 * (1 + Math.abs(expected[k])) : dtype == DType.FLOAT64 ? 1e-12 * (1 + Math.abs(expected[k]))
                        : 0;
                assertEquals(expected[k], got, tol, dtype + " " + op + " world " + world + " tensor " + i + "["
                        + k + "]");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void everyOpAndDtypeMatchesTheReference(int world) throws Exception {
        int[] lengths = {1, 7, 0, 13, 1001, 2};
        for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT64}) {
            for (ReduceOp op : ReduceOp.values()) {
                if (dtype == DType.INT64 && op == ReduceOp.AVG) {
                    continue;
                }
                check(world, lengths, dtype, op, allReduce(world, lengths, dtype, op, LocalRanks.fast()));
            }
        }
    }

    @Test
    void fewerElementsThanRanksLeaveSomeChunksEmpty() throws Exception {
        for (int[] lengths : new int[][] {{1}, {2}, {3}, {0, 1}}) {
            check(4, lengths, DType.FLOAT32, ReduceOp.AVG, allReduce(4, lengths, DType.FLOAT32, ReduceOp.AVG,
                    LocalRanks.fast()));
        }
    }

    @Test
    void manyTensorsInOneCall() throws Exception {
        int[] lengths = new int[300];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = (i * 37) % 101;
        }
        check(3, lengths, DType.FLOAT32, ReduceOp.SUM, allReduce(3, lengths, DType.FLOAT32, ReduceOp.SUM,
                LocalRanks.fast()));
    }

    @Test
    void multiMegabyteTensorsThroughASmallScratchBuffer() throws Exception {
        // 3 MB and 5 MB float32 plus an odd tail; a 64 KiB scratch makes each chunk take many receive batches
        int[] lengths = {750_001, 1_250_000, 3};
        TcpOptions opts = LocalRanks.fast().withScratchBytes(64 << 10);
        check(3, lengths, DType.FLOAT32, ReduceOp.AVG, allReduce(3, lengths, DType.FLOAT32, ReduceOp.AVG, opts));
        check(2, new int[] {1_000_003}, DType.FLOAT64, ReduceOp.MAX,
                allReduce(2, new int[] {1_000_003}, DType.FLOAT64, ReduceOp.MAX, opts));
    }

    @Test
    void int32SumsAndTensorViewsWithAnOffset() throws Exception {
        List<long[]> results = LocalRanks.run(3, LocalRanks.fast(), pg -> {
            Tensor ints = Tensor.of(new int[] {pg.rank(), 10 * pg.rank(), -5});
            Tensor base = Tensor.of(new double[] {100, 1 + pg.rank(), 2 + pg.rank(), 100});
            Tensor middle = base.narrow(0, 1, 2); // contiguous, storage offset 1: only it may change
            pg.allReduce(ints, ReduceOp.SUM);
            pg.allReduce(middle, ReduceOp.SUM);
            double[] b = base.toDoubleArray();
            long[] i = ints.toLongArray();
            return new long[] {i[0], i[1], i[2], (long) b[0], (long) b[1], (long) b[2], (long) b[3]};
        });
        for (long[] r : results) {
            assertArrayEquals(new long[] {3, 30, -15, 100, 6, 9, 100}, r);
        }
        assertTrue(LocalRanks.kilnThreads().isEmpty(), "threads left: " + LocalRanks.kilnThreads());
    }
}
