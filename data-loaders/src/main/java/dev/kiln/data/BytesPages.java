package dev.kiln.data;

import java.io.IOException;
import java.util.Arrays;
import java.util.function.Function;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.parquet.format.Encoding;

/**
 * A binary column (e.g. PNG/JPEG bytes) decoded row by row by a user function into {@code n} floats each, stored
 * straight into the {@code [rows, n]} Arrow buffer; n is fixed by the first decoded row, and every later row must
 * decode to as many floats.
 */
final class BytesPages {
    private BytesPages() {
    }

    static FixedSizeListVector decode(RowGroupDecoder owner, RowGroupDecoder.Source src, String name, ColumnChunk chunk,
                                      int rows, boolean[] nullRow, Function<byte[], float[]> decoder)
            throws IOException {
        int maxDef = chunk.descriptor().getMaxDefinitionLevel();
        var prim = chunk.descriptor().getPrimitiveType();
        Values dict = chunk.dictionary() == null ? null : FlatPages.dictionary(chunk);
        FixedSizeListVector list = null;
        Dest out = null;
        long row = 0;
        try {
            for (Page p : chunk.pages()) {
                String what = chunk.where() + ", rows from " + row;
                Page.Data d = p.data(chunk);
                Levels lv = Levels.of(p, d, 0, maxDef, what);
                int count = p.valueCount();
                int[] defs = new int[count];
                lv.decodeDef(defs);
                int k = (int) Arrays.stream(defs, 0, count).filter(x -> x == maxDef).count();
                Values v = new Values();
                int start = lv.valuesStart();
                if (k > 0 && (p.encoding() == Encoding.PLAIN_DICTIONARY || p.encoding() == Encoding.RLE_DICTIONARY)) {
                    if (!(dict != null && start < d.end())) {
                        throw new ParquetFormatException(what + ": dictionary-encoded page "
                                + "without a dictionary page or ids");
                    }
                    int[] ids = new int[k];
                    new Rle(d.a(), start + 1, d.end(), d.a()[start] & 0xff, what + " dictionary ids").decode(ids, 0, k);
                    v.gather(dict, ids, k, what);
                } else if (k > 0) {
                    v.decode(prim.getPrimitiveTypeName(), prim.getTypeLength(), p.encoding(), d.a(), start, d.end(),
                            k, what);
                }
                if (row + count > rows) {
                    throw new ParquetFormatException(what + ": the chunk holds more than the " + rows
                            + " rows the footer declares");
                }
                for (int i = 0, j = 0; i < count; i++) {
                    int r = (int) row + i;
                    if (defs[i] != maxDef) {
                        owner.nullValue(src, name, r, nullRow, "a null value");
                        continue;
                    }
                    float[] x = decoder.apply(Arrays.copyOfRange(v.bytes, v.starts[j], v.starts[j] + v.lens[j]));
                    j++;
                    if (list == null) {
                        list = owner.fixedSizeList("features", x.length, rows, Lane.F32, 0, name);
                        out = new Dest(list.getDataVector().getDataBuffer(), (long) rows * x.length, 4, 1, 0);
                    }
                    if (x.length != list.getListSize()) {
                        throw new ParquetDataException("decoded column '" + name + "': " + src.at(r) + " decoded to "
                                + x.length + " floats, earlier rows to " + list.getListSize());
                    }
                    out.putFloats((long) r * x.length, x, x.length, what);
                }
                row += count;
            }
            if (row != rows) {
                throw new ParquetFormatException(chunk.where() + " holds " + row + " rows but the footer declares "
                        + rows);
            }
            return list != null ? list : owner.fixedSizeList("features", 0, rows, Lane.F32, 0, name);
        } catch (IOException e) {
            if (list != null) {
                list.close();
            }
            throw e;
        } catch (RuntimeException e) {
            if (list != null) {
                list.close();
            }
            throw chunk.wrap(e);
        }
    }
}
