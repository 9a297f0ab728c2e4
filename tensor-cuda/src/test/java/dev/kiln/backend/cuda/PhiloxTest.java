package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The random kernels' Philox4x32-10 stream: the published known answers, and philox.cuh agreeing with the model. */
class PhiloxTest extends KilnTest {
    /** Random123's kat_vectors for philox4x32 with 10 rounds: counter, key, expected output. */
    private static final int[][] KAT = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {-1, -1, -1, -1, -1, -1, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
            0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
    };

    @Test
    void javaModelGivesTheKnownAnswers() {
        for (int[] v : KAT) {
            assertArrayEquals(new int[] {v[6], v[7], v[8], v[9]}, PhiloxReference.philox(v[0], v[1], v[2], v[3], v[4],
                    v[5]));
        }
    }

    @Test
    void cudaPhiloxGivesTheKnownAnswersAndTheModelsStream() throws Exception {
        List<String> requests = new ArrayList<>();
        for (int[] v : KAT) {
            StringBuilder sb = new StringBuilder("P");
            for (int i = 0; i < 6; i++) {
                sb.append(' ').append(Integer.toHexString(v[i]));
            }
            requests.add(sb.toString());
        }
        SplittableRandom rnd = new SplittableRandom(42);
        List<long[]> blocks = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            long[] sob = {rnd.nextLong(), i % 3 == 0 ? -1L - rnd.nextInt(4) : rnd.nextLong(), rnd.nextInt(1 << 20)};
            blocks.add(sob);
            requests.add("Q " + Long.toHexString(sob[0]) + " " + Long.toHexString(sob[1]) + " "
                    + Long.toHexString(sob[2]));
        }
        List<String> answers = HostHarness.ask(requests);
        for (int k = 0; k < KAT.length; k++) {
            assertEquals(words(KAT[k][6], KAT[k][7], KAT[k][8], KAT[k][9]), answers.get(k), "known answer " + k);
        }
        for (int i = 0; i < blocks.size(); i++) {
            long[] sob = blocks.get(i);
            int[] w = PhiloxReference.block(sob[0], sob[1], sob[2]);
            assertEquals(words(w[0], w[1], w[2], w[3]), answers.get(KAT.length + i),
                    "seed " + sob[0] + " offset " + sob[1] + " block " + sob[2]);
        }
    }

    @Test
    void streamElementsAreInRangeAndUniformEnough() {
        double sum = 0;
        int n = 100_000;
        for (long e = 0; e < n; e++) {
            float u = PhiloxReference.uniformF32(7, 1000, e, -2, 3);
            assertTrue(u >= -2 && u < 3, "uniform out of [lo, hi): " + u);
            sum += u;
            long r = PhiloxReference.randintI64(7, 1000, e, -5, 5);
            assertTrue(r >= -5 && r < 5, "randint out of [lo, hi): " + r);
        }
        assertEquals(0.5, sum / n, 0.02);
    }

    private static String words(int a, int b, int c, int d) {
        return Integer.toHexString(a) + " " + Integer.toHexString(b) + " " + Integer.toHexString(c) + " "
                + Integer.toHexString(d);
    }
}
