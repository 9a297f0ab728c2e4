package dev.kiln.data;

import com.github.luben.zstd.Zstd;
import io.airlift.compress.MalformedInputException;
import io.airlift.compress.lz4.Lz4Decompressor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

/**
 * Page decompression, byte array to byte array, for every codec Parquet writers use by default somewhere:
 * UNCOMPRESSED, SNAPPY (snappy-java's JNI), GZIP ({@code java.util.zip}), ZSTD (zstd-jni), LZ4_RAW (aircompressor,
 * pure Java) and the deprecated Hadoop-framed LZ4. All of them are stateless here, so pages are decompressed by
 * whichever thread decodes them, in parallel (parquet-hadoop's codec factory reuses one decompressor per codec,
 * so it decompresses on one thread, and stages pages through direct buffers: profiled in BENCHMARKS.md, "Parquet").
 *
 * <p>Bounds: the output array is allocated at the size the page header declares, which the caller has checked
 * against the footer's column-chunk size, and every codec is asked to write at most that many bytes and must
 * produce exactly that many (snappy's own length header is checked before it writes). BROTLI and LZO have no
 * decoder on Kiln's classpath: {@link #check} reports them when the dataset is built, as "codec not available".
 */
final class Codecs {
    static final Set<CompressionCodecName> SUPPORTED = EnumSet.of(CompressionCodecName.UNCOMPRESSED,
            CompressionCodecName.SNAPPY, CompressionCodecName.GZIP, CompressionCodecName.ZSTD,
            CompressionCodecName.LZ4_RAW, CompressionCodecName.LZ4);

    private Codecs() {
    }

    /** Fails unless pages compressed with {@code codec} can be read; {@code where} names file and column. */
    static void check(CompressionCodecName codec, String where) {
        if (!SUPPORTED.contains(codec)) {
            throw new UnsupportedOperationException("codec not available: " + where + " is compressed with "
                    + codec + ", which Kiln cannot decompress (it reads " + SUPPORTED + "); rewrite the file with "
                    + "one of those, e.g. Spark's spark.sql.parquet.compression.codec=zstd");
        }
    }

    /** Decompresses {@code src[off, off + len)} into a new array of exactly {@code size} bytes. */
    static byte[] decompress(CompressionCodecName codec, byte[] src, int off, int len, int size) throws IOException {
        byte[] out = new byte[size];
        int n;
        try {
            n = switch (codec) {
                case UNCOMPRESSED -> {
                    System.arraycopy(src, off, out, 0, Math.min(len, size));
                    yield len;
                }
                case SNAPPY -> snappy(src, off, len, out);
                case GZIP -> gzip(src, off, len, out);
                case ZSTD -> zstd(src, off, len, out);
                case LZ4_RAW -> new Lz4Decompressor().decompress(src, off, len, out, 0, size);
                case LZ4 -> hadoopLz4(src, off, len, out);
                default -> throw new UnsupportedOperationException("codec not available: " + codec);
            };
        } catch (UnsupportedOperationException e) {
            throw e;
        } catch (RuntimeException e) { // aircompressor's MalformedInputException, zstd-jni's ZstdException, ...
            throw new IOException(codec + " page does not decompress: " + e, e);
        }
        if (n != size) {
            throw new IOException(codec + " page decompressed to " + n + " bytes, its header says " + size);
        }
        return out;
    }

    private static int snappy(byte[] src, int off, int len, byte[] out) throws IOException {
        // the length snappy will write, checked against the page header before it writes anything
        int claimed = Snappy.uncompressedLength(src, off, len);
        if (claimed != out.length) {
            throw new IOException("snappy page claims " + claimed + " bytes, its page header says " + out.length);
        }
        return Snappy.uncompress(src, off, len, out, 0);
    }

    private static int gzip(byte[] src, int off, int len, byte[] out) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(src, off, len), 8192)) {
            int n = in.readNBytes(out, 0, out.length);
            if (n == out.length && in.read() >= 0) {
                throw new IOException("gzip page holds more than the " + out.length + " bytes its header says");
            }
            return n;
        }
    }

    private static int zstd(byte[] src, int off, int len, byte[] out) throws IOException {
        long n = Zstd.decompressByteArray(out, 0, out.length, src, off, len);
        if (Zstd.isError(n)) {
            throw new IOException("zstd: " + Zstd.getErrorName(n));
        }
        return (int) n;
    }

    /**
     * The deprecated LZ4 codec: Hadoop's framing (parquet-mr), blocks of {@code [BE int raw length]} followed by
     * chunks of {@code [BE int compressed length][raw LZ4]} until that many bytes are produced; a page that is not
     * in that framing is tried as one raw LZ4 block, as parquet-cpp does for files of older writers.
     */
    private static int hadoopLz4(byte[] src, int off, int len, byte[] out) throws IOException {
        try {
            return hadoopFramed(src, off, len, out);
        } catch (IOException | MalformedInputException e) {
            return new Lz4Decompressor().decompress(src, off, len, out, 0, out.length);
        }
    }

    private static int hadoopFramed(byte[] src, int off, int len, byte[] out) throws IOException {
        int p = off;
        int end = off + len;
        int written = 0;
        Lz4Decompressor lz4 = new Lz4Decompressor();
        while (p < end) {
            if (end - p < 4) {
                throw new IOException("LZ4 block header past the end of the page");
            }
            int raw = bigEndianInt(src, p);
            p += 4;
            if (raw < 0 || raw > out.length - written) {
                throw new IOException("LZ4 block of " + raw + " bytes does not fit the page");
            }
            int blockEnd = written + raw;
            while (written < blockEnd) {
                if (end - p < 4) {
                    throw new IOException("LZ4 chunk header past the end of the page");
                }
                int packed = bigEndianInt(src, p);
                p += 4;
                if (packed <= 0 || packed > end - p) {
                    throw new IOException("LZ4 chunk of " + packed + " bytes does not fit the page");
                }
                written += lz4.decompress(src, p, packed, out, written, blockEnd - written);
                p += packed;
            }
        }
        return written;
    }

    private static int bigEndianInt(byte[] a, int p) {
        return (a[p] & 0xff) << 24 | (a[p + 1] & 0xff) << 16 | (a[p + 2] & 0xff) << 8 | (a[p + 3] & 0xff);
    }
}
