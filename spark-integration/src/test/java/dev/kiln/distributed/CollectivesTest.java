package dev.kiln.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Broadcast, allGather and barrier; world size 1; argument errors that fail before any byte moves. */
class CollectivesTest extends KilnTest {

    @Test
    void broadcastFromEveryRootReachesEveryRankBitForBit() throws Exception {
        int n = 1_500_007; // ~6 MB float32: larger than socket buffers, so forwarding is pipelined
        List<float[][]> results = LocalRanks.run(3, LocalRanks.fast(), pg -> {
            float[][] out = new float[3][];
            for (int root = 0; root < 3; root++) {
                Tensor t = Tensor.full(new long[] {n}, 10 * pg.rank() + root, DType.FLOAT32);
                if (pg.rank() == root) {
                    t.set(-1.5, n - 1);
                }
                pg.broadcast(t, root);
                out[root] = new float[] {t.toFloatArray()[0], t.toFloatArray()[n / 2], t.toFloatArray()[n - 1]};
            }
            return out;
        });
        for (int rank = 0; rank < 3; rank++) {
            for (int root = 0; root < 3; root++) {
                float v = 10 * root + root;
                assertArrayEquals(new float[] {v, v, -1.5f}, results.get(rank)[root], "rank " + rank + " root " + root);
            }
        }
    }

    @Test
    void broadcastMakesInitialWeightsIdentical() throws Exception {
        List<double[]> results = LocalRanks.run(4, LocalRanks.fast(), pg -> {
            Tensor w = Tensor.randn(new long[] {5, 3}, DType.FLOAT64, new dev.kiln.tensor.Generator(pg.rank()));
            pg.broadcast(w, 0);
            return w.toDoubleArray();
        });
        double[] rank0 = Tensor.randn(new long[] {5, 3}, DType.FLOAT64, new dev.kiln.tensor.Generator(0)).toDoubleArray();
        for (double[] r : results) {
            assertArrayEquals(rank0, r);
        }
    }

    @Test
    void allGatherReturnsEveryRanksMessageByRank() throws Exception {
        List<byte[][]> results = LocalRanks.run(4, LocalRanks.fast(), pg -> {
            byte[] mine = pg.rank() == 2 ? new byte[0] : ("rank " + pg.rank()).repeat(pg.rank() + 1)
                    .getBytes(StandardCharsets.UTF_8);
            byte[][] first = pg.allGather(mine);
            pg.barrier();
            byte[] big = new byte[3 << 20]; // bigger than socket buffers: must not deadlock
            big[big.length - 1] = (byte) pg.rank();
            byte[][] second = pg.allGather(big);
            pg.barrier();
            byte[][] out = new byte[8][];
            System.arraycopy(first, 0, out, 0, 4);
            for (int r = 0; r < 4; r++) {
                out[4 + r] = new byte[] {(byte) second[r].length, second[r][second[r].length - 1]};
            }
            return out;
        });
        for (byte[][] r : results) {
            assertEquals("rank 0", new String(r[0], StandardCharsets.UTF_8));
            assertEquals("rank 1rank 1", new String(r[1], StandardCharsets.UTF_8));
            assertEquals(0, r[2].length);
            assertEquals("rank 3rank 3rank 3rank 3", new String(r[3], StandardCharsets.UTF_8));
            for (int k = 0; k < 4; k++) {
                assertArrayEquals(new byte[] {(byte) (3 << 20), (byte) k}, r[4 + k]);
            }
        }
    }

    @Test
    void worldSizeOneIsANoOp() throws Exception {
        List<double[]> results = LocalRanks.run(1, LocalRanks.fast(), pg -> {
            Tensor t = Tensor.of(1.0, 2.0, 3.0);
            pg.allReduce(t, ReduceOp.AVG);
            pg.broadcast(t, 0);
            pg.barrier();
            byte[][] all = pg.allGather(new byte[] {7});
            assertEquals(1, all.length);
            assertArrayEquals(new byte[] {7}, all[0]);
            assertEquals(1, pg.worldSize());
            return t.toDoubleArray();
        });
        assertArrayEquals(new double[] {1, 2, 3}, results.get(0));
    }

    @Test
    void argumentErrorsFailBeforeAnyByteMovesAndLeaveTheGroupUsable() throws Exception {
        List<String> results = LocalRanks.run(2, LocalRanks.fast(), pg -> {
            Tensor m = Tensor.zeros(4, 3);
            IllegalArgumentException strided = assertThrows(IllegalArgumentException.class,
                    () -> pg.allReduce(m.t(), ReduceOp.SUM));
            assertTrue(strided.getMessage().contains("Tensors must be contiguous"), strided.getMessage());
            IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                    () -> pg.allReduce(List.of(Tensor.zeros(2), Tensor.zeros(DType.FLOAT64, 2)), ReduceOp.SUM));
            assertTrue(mixed.getMessage().contains("torch.float64") && mixed.getMessage().contains("torch.float32"),
                    mixed.getMessage());
            IllegalArgumentException avgInt = assertThrows(IllegalArgumentException.class,
                    () -> pg.allReduce(Tensor.of(1L, 2L), ReduceOp.AVG));
            assertTrue(avgInt.getMessage().contains("AVG needs a floating point dtype"), avgInt.getMessage());
            IllegalArgumentException bool = assertThrows(IllegalArgumentException.class,
                    () -> pg.allReduce(Tensor.of(true), ReduceOp.MAX));
            assertTrue(bool.getMessage().contains("torch.bool"), bool.getMessage());
            assertThrows(IllegalArgumentException.class, () -> pg.broadcast(Tensor.zeros(1), 2));
            Tensor closed = Tensor.zeros(2);
            closed.close();
            assertThrows(IllegalStateException.class, () -> pg.allReduce(closed, ReduceOp.SUM));
            Tensor ok = Tensor.of(1f + pg.rank());
            pg.allReduce(ok, ReduceOp.SUM);
            return ok.toString();
        });
        assertEquals(List.of("tensor([3.])", "tensor([3.])"), results);
    }

    @Test
    void badAddressesAndSecretsAreRejectedUpFront() {
        byte[] secret = LocalRanks.secret();
        assertThrows(IllegalArgumentException.class,
                () -> TcpProcessGroup.listen(LocalRanks.LOOPBACK, new byte[8], TcpOptions.defaults()));
        try (TcpProcessGroup.Listener l = TcpProcessGroup.listen(LocalRanks.LOOPBACK, secret, TcpOptions.defaults())) {
            assertTrue(l.address().startsWith("127.0.0.1:"), l.address());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> l.connect(0, List.of(l.address(), "no-port-here")));
            assertTrue(e.getMessage().contains("rank 1") && e.getMessage().contains("host:port"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> l.connect(2, List.of(l.address(), l.address())));
        }
        String v6 = TcpProcessGroup.format(TcpProcessGroup.parse("[::1]:5", 0));
        assertTrue(v6.startsWith("[") && v6.endsWith(":1]:5"), v6);
    }
}
