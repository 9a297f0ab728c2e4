package dev.kiln.distributed;

import java.nio.ByteBuffer;

/**
 * The fixed 32-byte header that opens every collective on every link: what the sender is calling, so a rank
 * that disagrees with its left neighbour (another collective, another size, dtype, op or root, or another
 * position in the sequence of collectives) fails with a message naming both sides instead of mixing up bytes.
 * Raw tensor bytes follow without further framing: both ends derive every ring chunk's length from the header.
 *
 * <pre>
 * int magic | byte kind | byte dtype | byte op | byte 0 | long sequence | long count | int rank | int 0
 * </pre>
 *
 * {@code count} is elements for tensor collectives and bytes for an all-gather message, whose length is bounds-
 * checked against {@link TcpOptions#maxMessageBytes()} before anything is allocated.
 */
final class Frames {
    static final int BYTES = 32;
    static final int MAGIC = 0x4B4C4E43; // "KLNC"

    enum Kind {
        ALL_REDUCE("allReduce"), BROADCAST("broadcast"), ALL_GATHER("allGather"), BARRIER("barrier");

        final String apiName;

        Kind(String apiName) {
            this.apiName = apiName;
        }
    }

    /** A decoded header; {@code dtype} and {@code op} are ordinals, -1 when unused. */
    record Header(Kind kind, int dtype, int op, long sequence, long count, int rank) {
        ByteBuffer encode() {
            ByteBuffer b = ByteBuffer.allocate(BYTES);
            b.putInt(MAGIC).put((byte) kind.ordinal()).put((byte) dtype).put((byte) op).put((byte) 0)
                    .putLong(sequence).putLong(count).putInt(rank).putInt(0);
            return b.flip();
        }

        /** Decodes a received header; garbage (wrong magic, unknown kind) returns null. */
        static Header decode(ByteBuffer b) {
            b.flip();
            if (b.remaining() != BYTES || b.getInt() != MAGIC) {
                return null;
            }
            int kind = b.get();
            if (kind < 0 || kind >= Kind.values().length) {
                return null;
            }
            int dtype = b.get();
            int op = b.get();
            b.get();
            long sequence = b.getLong();
            long count = b.getLong();
            int rank = b.getInt();
            return new Header(Kind.values()[kind], dtype, op, sequence, count, rank);
        }
    }

    private Frames() {
    }
}
