package dev.kiln.distributed;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@link DistributedDataParallel} groups gradients into all-reduce buckets, as PyTorch's
 * {@code compute_bucket_assignment_by_size}: parameters are taken in <em>reverse</em> registration order
 * (roughly the order backward produces their gradients: the last layer first), one open bucket per dtype; a
 * bucket closes once it holds at least its cap of bytes. The first bucket's cap is small
 * ({@code firstBucketBytes}, PyTorch's 1 MiB) so communication starts early in the backward pass; the rest
 * use {@code bucketBytes}. Buckets are numbered in closing order, which is the order they are all-reduced in.
 */
final class Buckets {
    private Buckets() {
    }

    /** Parameter indices (into {@code params}) per bucket, in all-reduce order. */
    static List<int[]> assign(List<Tensor> params, long firstBucketBytes, long bucketBytes) {
        List<int[]> buckets = new ArrayList<>();
        Map<DType, List<Integer>> open = new LinkedHashMap<>();
        Map<DType, Long> openBytes = new LinkedHashMap<>();
        for (int i = params.size() - 1; i >= 0; i--) {
            Tensor p = params.get(i);
            DType dtype = p.dtype();
            List<Integer> bucket = open.computeIfAbsent(dtype, d -> new ArrayList<>());
            bucket.add(i);
            long bytes = openBytes.merge(dtype, p.numel() * dtype.byteSize(), Long::sum);
            long cap = buckets.isEmpty() ? firstBucketBytes : bucketBytes;
            if (bytes >= cap) {
                buckets.add(toArray(bucket));
                open.remove(dtype);
                openBytes.remove(dtype);
            }
        }
        for (List<Integer> rest : open.values()) {
            buckets.add(toArray(rest));
        }
        return buckets;
    }

    private static int[] toArray(List<Integer> xs) {
        int[] out = new int[xs.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = xs.get(k);
        }
        return out;
    }
}
