package dev.kiln.spark.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * The one message each rank publishes through Spark's {@code BarrierTaskContext.allGather} (the only Spark
 * barrier call of a run: each costs about a second): where its Kiln listener is, how many rows and features its
 * partition has, and the error that stopped it, if any — so that every rank fails with the same clear message
 * instead of waiting for a peer that will never connect.
 */
record Rendezvous(String address, long rows, long featureDim, String error) {
    private static final ObjectMapper JSON = new ObjectMapper();

    String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static List<Rendezvous> parseAll(String[] messages) {
        List<Rendezvous> all = new ArrayList<>(messages.length);
        for (String m : messages) {
            try {
                all.add(JSON.readValue(m, Rendezvous.class));
            } catch (Exception e) {
                throw new IllegalStateException("malformed rendezvous message from a peer: " + m, e);
            }
        }
        return all;
    }

    /** Throws the first rank's error, or a feature-count mismatch between non-empty partitions. */
    static void check(List<Rendezvous> all, InputColumns columns) {
        for (int r = 0; r < all.size(); r++) {
            if (all.get(r).error() != null) {
                throw new KilnInputException("rank " + r + " failed before training: " + all.get(r).error());
            }
        }
        long dim = -1;
        int dimRank = -1;
        for (int r = 0; r < all.size(); r++) {
            Rendezvous m = all.get(r);
            if (m.rows() == 0) {
                continue;
            }
            if (dim < 0) {
                dim = m.featureDim();
                dimRank = r;
            } else if (m.featureDim() != dim) {
                throw new KilnInputException("features column " + java.util.Arrays.toString(columns.featureColumns())
                        + " has " + dim + " values per row in partition " + dimRank + " but " + m.featureDim()
                        + " in partition " + r + "; every row must have the same number of features");
            }
        }
    }
}
