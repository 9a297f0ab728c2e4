package dev.kiln.data;

/**
 * A stream of samples without random access, like {@code torch.utils.data.IterableDataset} (e.g. records read
 * from a file in order). Each call to {@link #iterator()} starts a new epoch. A DataLoader reads it on at most
 * one worker so samples are neither duplicated nor reordered.
 *
 * @param <T> the sample type
 */
public interface IterableDataset<T> extends Iterable<T> {
}
