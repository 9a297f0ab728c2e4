package dev.kiln.data;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Fits a {@link Vocabulary}: one pass over every row group of every file, counting each categorical column's
 * values. A dictionary-encoded chunk is counted through its ids (one increment per row, one hash lookup per
 * dictionary entry); other pages value by value. Nulls are not counted (they map to {@link Vocabulary#UNKNOWN}).
 */
public final class VocabularyFitter {
    private final String location;
    private String[] columns = new String[0];
    private Configuration conf;
    private long minCount = 1;
    private int maxSize = Integer.MAX_VALUE;

    VocabularyFitter(String location) {
        this.location = location;
    }

    /** The categorical columns to fit (string, binary or integer; each gets its own ids). */
    public VocabularyFitter columns(String... columns) {
        this.columns = columns.clone();
        return this;
    }

    /** Hadoop settings for hdfs:// or s3a://; defaults to the local file system. */
    public VocabularyFitter configuration(Configuration conf) {
        this.conf = conf;
        return this;
    }

    /** Keep only values seen at least {@code minCount} times (rarer ones map to the unknown id 0). */
    public VocabularyFitter minCount(long minCount) {
        this.minCount = minCount;
        return this;
    }

    /** Keep at most the {@code maxSize} most frequent values per column. */
    public VocabularyFitter maxSize(int maxSize) {
        this.maxSize = maxSize;
        return this;
    }

    /** Reads every file and returns the vocabulary (ordered as {@link Vocabulary} documents). */
    public Vocabulary fit() throws IOException {
        if (columns.length == 0) {
            throw new IllegalArgumentException("Vocabulary.fit needs at least one column name");
        }
        if (minCount < 1 || maxSize < 0) {
            throw new IllegalArgumentException("minCount must be >= 1 and maxSize >= 0, got " + minCount + " and "
                    + maxSize);
        }
        Configuration c = conf == null ? ParquetFiles.localConfiguration() : conf;
        Map<String, CategoryIndex> counters = new LinkedHashMap<>();
        for (Path file : ParquetFiles.expand(location, c)) {
            countFile(file, c, counters);
        }
        Map<String, CategoryIndex> out = new LinkedHashMap<>();
        counters.forEach((name, counter) -> out.put(name, ordered(counter)));
        return new Vocabulary(out);
    }

    private void countFile(Path file, Configuration c, Map<String, CategoryIndex> counters) throws IOException {
        Footers.Footer f = Footers.read(file, c);
        MessageType schema = f.meta().getFileMetaData().getSchema();
        ColumnDescriptor[] leaves = new ColumnDescriptor[columns.length];
        ColumnType[] types = new ColumnType[columns.length];
        for (int j = 0; j < columns.length; j++) {
            String name = columns[j];
            if (!schema.containsField(name)) {
                throw new IllegalArgumentException("column '" + name + "' not found in " + file + "; it has columns "
                        + schema.getFields().stream().map(t -> t.getName() + ": " + ParquetColumn.describe(t)).toList());
            }
            Type t = schema.getType(name);
            types[j] = t.isPrimitive() && !t.isRepetition(Type.Repetition.REPEATED)
                    ? ColumnType.of((PrimitiveType) t) : null;
            if (types[j] == null || !types[j].categorical()) {
                throw new IllegalArgumentException("column '" + name + "' in " + file + " has type "
                        + ParquetColumn.describe(t) + ", expected a string, binary or integer column");
            }
            leaves[j] = schema.getColumnDescription(new String[] {name});
            boolean binary = !types[j].numeric();
            CategoryIndex counter = counters.computeIfAbsent(name, k -> new CategoryIndex(binary));
            if (counter.binary != binary) {
                throw new IllegalArgumentException("column '" + name + "' is " + types[j].describe() + " in " + file
                        + " but " + (binary ? "an integer" : "a string") + " column in earlier files");
            }
        }
        try (FSDataInputStream in = file.getFileSystem(c).open(file)) {
            for (int g = 0; g < f.meta().getBlocks().size(); g++) {
                for (int j = 0; j < columns.length; j++) {
                    String where = "column '" + columns[j] + "' in file " + file + ", row group " + g;
                    ColumnChunk chunk = ChunkReader.read(in, f.length(), f.chunk(g, leaves[j]), leaves[j], types[j],
                            where);
                    count(chunk, counters.get(columns[j]));
                }
            }
        }
    }

    /** Counts one chunk's non-null values into {@code counter}. */
    static void count(ColumnChunk chunk, CategoryIndex counter) throws IOException {
        int maxDef = chunk.descriptor().getMaxDefinitionLevel();
        PrimitiveType prim = chunk.descriptor().getPrimitiveType();
        Values dict = chunk.dictionary() == null ? null : FlatPages.dictionary(chunk);
        long[] dictCounts = dict == null ? null : new long[dict.count];
        Values v = new Values();
        for (Page p : chunk.pages()) {
            String what = chunk.where();
            Page.Data d = p.data(chunk);
            Levels lv = Levels.of(p, d, 0, maxDef, what);
            int count = p.valueCount();
            int k = count;
            if (maxDef > 0) {
                int[] defs = new int[count];
                lv.decodeDef(defs);
                k = (int) Arrays.stream(defs, 0, count).filter(x -> x == maxDef).count();
            }
            if (k == 0) {
                continue;
            }
            int start = lv.valuesStart();
            if (p.encoding() == Encoding.PLAIN_DICTIONARY || p.encoding() == Encoding.RLE_DICTIONARY) {
                if (!(dict != null && start < d.end())) {
                    throw new ParquetFormatException(what + ": dictionary-encoded page "
                            + "without a dictionary page or ids");
                }
                int[] ids = new int[k];
                new Rle(d.a(), start + 1, d.end(), d.a()[start] & 0xff, what + " dictionary ids").decode(ids, 0, k);
                for (int i = 0; i < k; i++) {
                    if (!(ids[i] >= 0 && ids[i] < dictCounts.length)) {
                        throw new ParquetFormatException(what + ": dictionary id "
                                + ids[i] + " out of range [0, " + dictCounts.length + ")");
                    }
                    dictCounts[ids[i]]++;
                }
            } else {
                v.decode(prim.getPrimitiveTypeName(), prim.getTypeLength(), p.encoding(), d.a(), start, d.end(), k,
                        what);
                for (int i = 0; i < k; i++) {
                    counter.count(v, i, chunk.type(), what, 1);
                }
            }
        }
        for (int id = 0; dictCounts != null && id < dictCounts.length; id++) {
            if (dictCounts[id] > 0) {
                counter.count(dict, id, chunk.type(), chunk.where(), dictCounts[id]);
            }
        }
    }

    /** The counted values by descending count, then ascending value, cut by minCount and maxSize. */
    private CategoryIndex ordered(CategoryIndex counter) {
        Integer[] order = new Integer[counter.size()];
        for (int k = 0; k < order.length; k++) {
            order[k] = k;
        }
        Arrays.sort(order, (x, y) -> {
            int byCount = Long.compare(counter.counts[y], counter.counts[x]);
            if (byCount != 0) {
                return byCount;
            }
            return counter.binary ? Arrays.compareUnsigned(counter.bytesKey(x), counter.bytesKey(y))
                    : Long.compare(counter.longKey(x), counter.longKey(y));
        });
        CategoryIndex out = new CategoryIndex(counter.binary);
        for (int r = 0; r < order.length && r < maxSize; r++) {
            int k = order[r];
            if (counter.counts[k] < minCount) {
                break;
            }
            byte[] b = counter.binary ? counter.bytesKey(k) : null;
            int at = counter.binary ? out.add(b, 0, b.length) : out.add(counter.longKey(k));
            out.counts[at] = counter.counts[k];
        }
        return out;
    }
}
