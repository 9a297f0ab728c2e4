package dev.kiln.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

/**
 * Page decompression for {@link RowGroupReader}: snappy pages are decompressed LAZILY, by whichever thread first
 * reads the page's bytes, straight from the compressed heap bytes into the page's own byte array (snappy-java's
 * JNI {@code byte[] → byte[]} call: no direct-buffer staging copies). That lets {@link UniformPages} decompress the
 * pages of one column chunk on several threads. Every other codec goes through parquet-hadoop's own
 * {@link CodecFactory} and is materialized at once, on the reading thread, because that factory reuses one
 * decompressor per codec and is not safe to use from several threads.
 *
 * <p>Why not parquet-hadoop's snappy path: its {@code SnappyDecompressor} copies each page into a direct buffer,
 * decompresses into another and copies out again, and does so eagerly in {@code readPage()} on the one reading
 * thread; measured, that serial step was ~45% of a 200k×784 epoch.
 */
final class PageCodecs implements CompressionCodecFactory {
    private final CodecFactory fallback;

    PageCodecs(Configuration conf) {
        this.fallback = new CodecFactory(conf, 0);
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codec) {
        return fallback.getCompressor(codec);
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
        BytesInputDecompressor other = fallback.getDecompressor(codec);
        return codec == CompressionCodecName.SNAPPY ? new LazySnappy(other) : new Eager(other);
    }

    @Override
    public void release() {
        fallback.release();
    }

    /** Snappy: returns a BytesInput that decompresses when first read. */
    private record LazySnappy(BytesInputDecompressor direct) implements BytesInputDecompressor {
        @Override
        public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
            return BytesInput.from(new SnappyPage(bytes.toByteBuffer(), uncompressedSize), uncompressedSize);
        }

        @Override
        public void decompress(ByteBuffer in, int compressedSize, ByteBuffer out, int size) throws IOException {
            direct.decompress(in, compressedSize, out, size); // direct buffers: parquet-hadoop's own path
        }

        @Override
        public void release() {
        }
    }

    /** Any other codec: decompressed now, on the reading thread, into a private byte array. */
    private record Eager(BytesInputDecompressor d) implements BytesInputDecompressor {
        @Override
        public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
            return BytesInput.from(d.decompress(bytes, uncompressedSize).toByteArray());
        }

        @Override
        public void decompress(ByteBuffer in, int compressedSize, ByteBuffer out, int size) throws IOException {
            d.decompress(in, compressedSize, out, size);
        }

        @Override
        public void release() {
        }
    }

    /**
     * A page's decompressed bytes as a stream. {@code BytesInput.toByteArray()} asks for all {@code size} bytes in
     * one {@code read(b, 0, size)}, which decompresses directly into {@code b}; any other read pattern decompresses
     * into a private array first.
     */
    static final class SnappyPage extends InputStream {
        private final ByteBuffer compressed;
        private final int size;
        private byte[] plain;
        private int pos;

        SnappyPage(ByteBuffer compressed, int size) {
            this.compressed = compressed;
            this.size = size;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (pos == 0 && plain == null && len >= size) {
                uncompressInto(b, off);
                pos = size;
                return size == 0 ? -1 : size;
            }
            if (plain == null) {
                plain = new byte[size];
                uncompressInto(plain, 0);
            }
            if (pos >= size) {
                return -1;
            }
            int k = Math.min(len, size - pos);
            System.arraycopy(plain, pos, b, off, k);
            pos += k;
            return k;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        private void uncompressInto(byte[] out, int off) throws IOException {
            ByteBuffer in = compressed.duplicate();
            byte[] src;
            int at;
            if (in.hasArray()) {
                src = in.array();
                at = in.arrayOffset() + in.position();
            } else {
                src = new byte[in.remaining()];
                in.get(src);
                at = 0;
            }
            // the length snappy will write, checked against the page header and the room in out before writing
            int claimed = Snappy.uncompressedLength(src, at, in.remaining());
            if (claimed != size || out.length - off < size) {
                throw new IOException("snappy page claims " + claimed + " bytes, its page header says " + size);
            }
            int n = Snappy.uncompress(src, at, in.remaining(), out, off);
            if (n != size) {
                throw new IOException("snappy page decompressed to " + n + " bytes, its header says " + size);
            }
        }
    }
}
