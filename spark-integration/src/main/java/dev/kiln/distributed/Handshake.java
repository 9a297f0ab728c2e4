package dev.kiln.distributed;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual authentication of a ring connection with the job secret, before any collective data flows.
 *
 * <p>The acceptor ("server") speaks first: {@code HELLO_S = magic, version, byte order, serverRank, worldSize,
 * nonceS}. The connector ("client") answers {@code HELLO_C = magic, version, byte order, clientRank, worldSize,
 * nonceC, macC} with {@code macC = HMAC-SHA256(secret, "kiln-ring-client" | nonceS | nonceC | clientRank |
 * serverRank | worldSize)}. The server checks {@code macC} in constant time ({@link MessageDigest#isEqual}), then
 * that the client is the rank it expects, and replies {@code status, macS} with {@code macS = HMAC(secret,
 * "kiln-ring-server" | nonceC | nonceS | serverRank | clientRank | worldSize)}, which the client checks, so
 * neither side talks to a party without the secret. Fresh 32-byte nonces from both sides make every transcript
 * unique (no replay); the secret itself never crosses the wire. All messages have fixed sizes: nothing is
 * length-prefixed or deserialized.
 */
final class Handshake {
    static final int MAGIC = 0x4B494C4E; // "KILN"
    static final byte VERSION = 1;
    static final int NONCE_BYTES = 32;
    static final int MAC_BYTES = 32;
    static final int MIN_SECRET_BYTES = 16;
    static final int HELLO_BYTES = 4 + 1 + 1 + 2 + 4 + 4 + NONCE_BYTES;
    static final int CLIENT_HELLO_BYTES = HELLO_BYTES + MAC_BYTES;
    static final int REPLY_BYTES = 1 + MAC_BYTES;

    static final byte OK = 0;
    static final byte BAD_PROTOCOL = 1;
    static final byte BAD_SECRET = 2;
    static final byte UNEXPECTED_RANK = 3;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte ORDER = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? (byte) 0 : (byte) 1;

    private Handshake() {
    }

    /** Why the server refused a connection; the caller logs it and keeps listening. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * Server side. Returns normally when the client proved the secret and is {@code expectedClientRank};
     * throws {@link Refused} (after telling the client why, where that is safe) otherwise.
     */
    static void accept(SocketChannel ch, byte[] secret, int myRank, int expectedClientRank, int world,
                       long deadline) throws IOException {
        byte[] nonceS = nonce();
        TimedIo.writeFully(ch, hello(myRank, world, nonceS, null), deadline, "sending the handshake greeting");
        ByteBuffer in = ByteBuffer.allocate(CLIENT_HELLO_BYTES);
        TimedIo.readFully(ch, in, deadline, "waiting for the peer's handshake answer");
        in.flip();
        if (in.getInt() != MAGIC || in.get() != VERSION) {
            throw refuse(ch, BAD_PROTOCOL, deadline, "it does not speak Kiln's ring protocol version " + VERSION);
        }
        byte order = in.get();
        in.getShort();
        int clientRank = in.getInt();
        int clientWorld = in.getInt();
        byte[] nonceC = new byte[NONCE_BYTES];
        in.get(nonceC);
        byte[] macC = new byte[MAC_BYTES];
        in.get(macC);
        byte[] expected = mac(secret, "kiln-ring-client", nonceS, nonceC, clientRank, myRank, clientWorld);
        if (!MessageDigest.isEqual(expected, macC)) {
            throw refuse(ch, BAD_SECRET, deadline, "it did not prove the job secret");
        }
        if (clientRank != expectedClientRank || clientWorld != world || order != ORDER) {
            throw refuse(ch, UNEXPECTED_RANK, deadline, "it authenticated as rank " + clientRank + " of " + clientWorld
                    + (order != ORDER ? " with a different byte order" : "") + ", but rank " + myRank
                    + " expects its left neighbour rank " + expectedClientRank + " of " + world);
        }
        ByteBuffer reply = ByteBuffer.allocate(REPLY_BYTES);
        reply.put(OK).put(mac(secret, "kiln-ring-server", nonceC, nonceS, myRank, clientRank, world)).flip();
        TimedIo.writeFully(ch, reply, deadline, "sending the handshake reply");
    }

    /** Client side: connects as {@code myRank} to {@code serverRank}; throws with the reason on any failure. */
    static void connect(SocketChannel ch, byte[] secret, int myRank, int serverRank, int world, long deadline)
            throws IOException {
        ByteBuffer in = ByteBuffer.allocate(HELLO_BYTES);
        TimedIo.readFully(ch, in, deadline, "waiting for the handshake greeting");
        in.flip();
        if (in.getInt() != MAGIC || in.get() != VERSION) {
            throw new IOException("the listener there does not speak Kiln's ring protocol version " + VERSION);
        }
        in.get();
        in.getShort();
        int peerRank = in.getInt();
        int peerWorld = in.getInt();
        if (peerRank != serverRank || peerWorld != world) {
            throw new IOException("the listener there says it is rank " + peerRank + " of " + peerWorld
                    + ", expected rank " + serverRank + " of " + world + " (are the addresses in rank order?)");
        }
        byte[] nonceS = new byte[NONCE_BYTES];
        in.get(nonceS);
        byte[] nonceC = nonce();
        byte[] macC = mac(secret, "kiln-ring-client", nonceS, nonceC, myRank, serverRank, world);
        TimedIo.writeFully(ch, hello(myRank, world, nonceC, macC), deadline, "sending the handshake answer");
        ByteBuffer reply = ByteBuffer.allocate(REPLY_BYTES);
        TimedIo.readFully(ch, reply, deadline, "waiting for the handshake reply (the peer may have refused us)");
        reply.flip();
        byte status = reply.get();
        switch (status) {
            case OK -> { }
            case BAD_SECRET -> throw new IOException("the peer refused the connection: the job secret does not match");
            case UNEXPECTED_RANK -> throw new IOException("the peer refused the connection: it expected a different "
                    + "rank, world size or byte order (rank " + myRank + " of " + world + ")");
            default -> throw new IOException("the peer refused the connection (status " + status + ")");
        }
        byte[] macS = new byte[MAC_BYTES];
        reply.get(macS);
        if (!MessageDigest.isEqual(mac(secret, "kiln-ring-server", nonceC, nonceS, serverRank, myRank, world), macS)) {
            throw new IOException("the peer did not prove the job secret (is another process listening there?)");
        }
    }

    /** Tells the client why (best effort) and returns the exception to throw. */
    private static Refused refuse(SocketChannel ch, byte status, long deadline, String why) {
        ByteBuffer reply = ByteBuffer.allocate(REPLY_BYTES);
        reply.put(status).position(REPLY_BYTES).flip();
        try {
            TimedIo.writeFully(ch, reply, Math.min(deadline, System.nanoTime() + 1_000_000_000L), "refusing");
        } catch (IOException ignored) {
            // the refused party may already be gone; refusing is best effort
        }
        return new Refused(why);
    }

    private static ByteBuffer hello(int rank, int world, byte[] nonce, byte[] mac) {
        ByteBuffer b = ByteBuffer.allocate(mac == null ? HELLO_BYTES : CLIENT_HELLO_BYTES);
        b.putInt(MAGIC).put(VERSION).put(ORDER).putShort((short) 0).putInt(rank).putInt(world).put(nonce);
        if (mac != null) {
            b.put(mac);
        }
        return b.flip();
    }

    private static byte[] nonce() {
        byte[] n = new byte[NONCE_BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    static byte[] mac(byte[] secret, String label, byte[] nonceA, byte[] nonceB, int rankA, int rankB, int world) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(secret, "HmacSHA256"));
            m.update(label.getBytes(StandardCharsets.US_ASCII));
            m.update(nonceA);
            m.update(nonceB);
            m.update(ByteBuffer.allocate(12).putInt(rankA).putInt(rankB).putInt(world).array());
            return m.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
