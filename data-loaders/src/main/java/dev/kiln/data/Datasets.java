package dev.kiln.data;

import dev.kiln.tensor.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Dataset utilities, after {@code torch.utils.data}'s module functions. */
public final class Datasets {
    private Datasets() {
    }

    /**
     * Splits {@code dataset} into non-overlapping random subsets of the given lengths, like
     * {@code torch.utils.data.random_split(dataset, lengths, generator)}. The lengths must sum to the size.
     */
    public static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, long[] lengths, Generator generator) {
        long sum = Arrays.stream(lengths).sum();
        for (long l : lengths) {
            if (l < 0) {
                throw new IllegalArgumentException("random_split lengths must be >= 0, got " + Arrays.toString(lengths));
            }
        }
        if (sum != dataset.size()) {
            throw new IllegalArgumentException("Sum of input lengths " + Arrays.toString(lengths) + " = " + sum
                    + " does not equal the length of the input dataset (" + dataset.size() + ")");
        }
        long[] perm = Permutations.randperm(Math.toIntExact(sum), generator);
        List<Subset<T>> out = new ArrayList<>(lengths.length);
        int offset = 0;
        for (long l : lengths) {
            out.add(new Subset<>(dataset, Arrays.copyOfRange(perm, offset, offset + (int) l)));
            offset += (int) l;
        }
        return out;
    }

    /**
     * Splits by fractions that sum to 1, like {@code random_split(dataset, [0.8, 0.2])}: each part gets
     * {@code floor(size * fraction)} samples and the remainder is dealt one by one to the parts in order.
     */
    public static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, double[] fractions, Generator generator) {
        return randomSplit(dataset, lengthsOf(fractions, dataset.size()), generator);
    }

    /** PyTorch's fraction-to-length rule (floor, then round-robin of the remainder). */
    static long[] lengthsOf(double[] fractions, long size) {
        double sum = 0;
        for (int i = 0; i < fractions.length; i++) {
            if (!(fractions[i] >= 0 && fractions[i] <= 1)) {
                throw new IllegalArgumentException("Fraction at index " + i + " is not between 0 and 1: "
                        + fractions[i]);
            }
            sum += fractions[i];
        }
        if (Math.abs(sum - 1) > 1e-9 || fractions.length == 0) {
            throw new IllegalArgumentException("random_split fractions must sum to 1, got "
                    + Arrays.toString(fractions) + " (sum " + sum + ")");
        }
        long[] lengths = new long[fractions.length];
        long assigned = 0;
        for (int i = 0; i < fractions.length; i++) {
            lengths[i] = (long) Math.floor(size * fractions[i]);
            assigned += lengths[i];
        }
        for (long i = 0; i < size - assigned; i++) {
            lengths[(int) (i % lengths.length)]++;
        }
        return lengths;
    }
}
