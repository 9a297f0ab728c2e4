/**
 * Datasets, samplers and the {@link dev.kiln.data.DataLoader}, after {@code torch.utils.data}: map-style
 * {@link dev.kiln.data.Dataset}s indexed by samplers, batches assembled by a collate function on background
 * worker threads, and zero-copy readers that hand Arrow memory ({@link dev.kiln.data.ArrowBatches}), Parquet tables
 * ({@link dev.kiln.data.ParquetDataset}: every Parquet type, encoding and common codec, categorical columns through
 * a fitted {@link dev.kiln.data.Vocabulary}) or MNIST IDX files ({@link dev.kiln.data.IdxReader}) to tensors.
 *
 * <p>Memory: a {@link dev.kiln.data.Batch} owns its tensors (they belong to no {@code TensorScope}) and frees
 * them when closed; intermediates made while loading are freed as soon as the batch is assembled.
 */
package dev.kiln.data;
