package dev.kiln.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.distributed.LocalRanks.Outcome;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Peers that never come, do not know the secret, disagree, stall or die: clear errors, never a hang. */
class BadPeersTest extends KilnTest {
    static TcpOptions shortTimeouts() {
        return LocalRanks.fast().withConnectTimeout(Duration.ofSeconds(2)).withOpTimeout(Duration.ofSeconds(2));
    }

    @AfterEach
    void noKilnThreadsLeft() throws InterruptedException {
        for (int i = 0; i < 50 && !LocalRanks.kilnThreads().isEmpty(); i++) {
            Thread.sleep(100); // a handshake thread unwinds right after its socket is closed
        }
        assertEquals(List.of(), LocalRanks.kilnThreads());
    }

    static String message(Outcome<?> o) {
        assertNotNull(o.error(), "rank " + o.rank() + " should have failed");
        assertInstanceOf(DistributedException.class, o.error(), "rank " + o.rank());
        return o.error().getMessage();
    }

    @Test
    void aPeerThatNeverConnectsTimesOutNamingIt() throws Exception {
        try (TcpProcessGroup.Listener silent = TcpProcessGroup.listen(LocalRanks.LOOPBACK, LocalRanks.secret(),
                shortTimeouts())) {
            long start = System.nanoTime();
            byte[] secret = LocalRanks.secret();
            List<Outcome<Object>> out = LocalRanks.runAll(3, shortTimeouts(), r -> secret,
                    Map.of(2, silent.address()), pg -> null);
            double seconds = (System.nanoTime() - start) / 1e9;
            String left = message(out.get(0)); // rank 0 waits for rank 2 to connect to it
            assertTrue(left.contains("timed out") && left.contains("rank 2 (" + silent.address() + ")")
                    && left.contains("left ring neighbour"), left);
            String right = message(out.get(1)); // rank 1's connection to rank 2 is never answered
            assertTrue(right.contains("rank 2 (" + silent.address() + ")") && right.contains("right ring neighbour"),
                    right);
            assertTrue(seconds < 15, "took " + seconds + " s");
        }
    }

    @Test
    void strangersWithoutTheSecretAreRefusedAndLoggedAndTheGroupStillWorks() throws Exception {
        List<String> logged = Collections.synchronizedList(new ArrayList<>());
        Logger log = Logger.getLogger(TcpProcessGroup.class.getName());
        Handler capture = new Handler() {
            public void publish(LogRecord r) {
                logged.add(r.getMessage());
            }

            public void flush() {
            }

            public void close() {
            }
        };
        log.addHandler(capture);
        byte[] secret = LocalRanks.secret();
        List<CompletableFuture<String>> intruders = new ArrayList<>();
        try (TcpProcessGroup.Listener l0 = TcpProcessGroup.listen(LocalRanks.LOOPBACK, secret, shortTimeouts());
             TcpProcessGroup.Listener l1 = TcpProcessGroup.listen(LocalRanks.LOOPBACK, secret, shortTimeouts());
             Socket staller = new Socket()) {
            List<String> addresses = List.of(l0.address(), l1.address());
            InetSocketAddress addr = TcpProcessGroup.parse(l0.address(), 0);
            // Rank 0 starts alone and meets: a client with a wrong secret claiming to be rank 1, one speaking HTTP,
            // and one that connects and says nothing (it must not delay the real neighbour).
            staller.connect(addr);
            intruders.add(CompletableFuture.supplyAsync(() -> wrongSecretClient(addr)));
            intruders.add(CompletableFuture.supplyAsync(() -> garbageClient(addr)));
            LocalRanks.Body<Float> sum = pg -> {
                Tensor t = Tensor.of(1f + pg.rank());
                pg.allReduce(t, ReduceOp.SUM);
                return (float) t.item();
            };
            CompletableFuture<Float> rank0 = LocalRanks.start(l0, 0, addresses, sum);
            String wrong = intruders.get(0).get(10, TimeUnit.SECONDS);
            assertTrue(wrong.contains("job secret does not match"), wrong);
            intruders.get(1).get(10, TimeUnit.SECONDS);
            CompletableFuture<Float> rank1 = LocalRanks.start(l1, 1, addresses, sum);
            assertEquals(3f, rank0.get(30, TimeUnit.SECONDS));
            assertEquals(3f, rank1.get(30, TimeUnit.SECONDS));
        } finally {
            log.removeHandler(capture);
        }
        assertTrue(logged.stream().anyMatch(m -> m.contains("refused a connection") && m.contains("did not prove the "
                + "job secret")), String.valueOf(logged));
        assertTrue(logged.stream().anyMatch(m -> m.contains("does not speak Kiln's ring protocol")),
                String.valueOf(logged));
    }

    @Test
    void aRankWithAnotherSecretFailsClearlyOnBothSides() throws Exception {
        byte[] secret = LocalRanks.secret();
        byte[] other = LocalRanks.secret();
        List<Outcome<Object>> out = LocalRanks.runAll(2, shortTimeouts(), r -> r == 1 ? other : secret, Map.of(),
                pg -> null);
        String rank1 = message(out.get(1));
        assertTrue(rank1.contains("could not connect to rank 0") && rank1.contains("job secret does not match"), rank1);
        String rank0 = message(out.get(0));
        assertTrue(rank0.contains("rank 1") && (rank0.contains("refused 1 other connection")
                || rank0.contains("job secret does not match")), rank0);
    }

    @Test
    void mismatchedTensorSizesFailOnEveryRankAndTheGroupStaysFailed() throws Exception {
        List<Outcome<String>> out = LocalRanks.runAll(3, shortTimeouts(), pg -> {
            Tensor t = Tensor.zeros(pg.rank() == 2 ? 11 : 10);
            try {
                pg.allReduce(t, ReduceOp.SUM);
                return "no error";
            } catch (DistributedException e) {
                DistributedException later = assertThrows(DistributedException.class, pg::barrier);
                assertTrue(later.getMessage().contains("unusable"), later.getMessage());
                throw e;
            }
        });
        boolean named = false;
        for (Outcome<String> o : out) {
            String m = message(o);
            named |= m.contains("collective mismatch") && m.contains("11 elements") && m.contains("10 elements");
        }
        assertTrue(named, "no rank named both sizes: " + out);
    }

    @Test
    void differentCollectivesOnDifferentRanksFail() throws Exception {
        List<Outcome<Object>> out = LocalRanks.runAll(2, shortTimeouts(), pg -> {
            if (pg.rank() == 0) {
                pg.barrier();
            } else {
                pg.allGather(new byte[0]);
            }
            return null;
        });
        String m = message(out.get(0));
        assertTrue(m.contains("barrier #0") && m.contains("allGather #0"), m);
        message(out.get(1));
    }

    @Test
    void aStuckPeerTimesOutNamingIt() throws Exception {
        TcpOptions opts = shortTimeouts().withOpTimeout(Duration.ofMillis(700));
        List<Outcome<Object>> out = LocalRanks.runAll(2, opts, pg -> {
            if (pg.rank() == 0) {
                pg.allReduce(Tensor.zeros(1000), ReduceOp.SUM);
            } else {
                Thread.sleep(2500); // never calls the collective in time
            }
            return null;
        });
        String m = message(out.get(0));
        assertTrue(m.contains("timed out after PT0.7S waiting for rank 1") && m.contains("allReduce #0"), m);
        assertNull(out.get(1).error());
    }

    @Test
    void aPeerThatDiesMidCollectiveFailsTheOthersPromptly() throws Exception {
        long start = System.nanoTime();
        List<Outcome<Integer>> out = LocalRanks.runAll(2, LocalRanks.fast(), pg -> {
            Tensor big = Tensor.zeros(4_000_000); // 16 MB: each all-reduce takes a while on loopback
            if (pg.rank() == 1) {
                Thread killer = new Thread(() -> {
                    sleepQuietly(300);
                    pg.close(); // what a crashed process's kernel does: the sockets close under the collective
                });
                killer.start();
            }
            int done = 0;
            while (true) { // loop until the close lands, most likely in the middle of a transfer
                pg.allReduce(big, ReduceOp.SUM);
                done++;
                if (done > 100_000) {
                    return done;
                }
            }
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        String survivor = message(out.get(0));
        assertTrue(survivor.contains("rank 1 (") && (survivor.contains("closed the connection")
                || survivor.contains("lost its connection")), survivor);
        String dead = message(out.get(1));
        assertTrue(dead.contains("closed"), dead);
        assertTrue(seconds < 15, "took " + seconds + " s; the survivor must not wait for its op timeout (20 s)");
    }

    @Test
    void anOversizedMessageHeaderIsRejectedBeforeAllocating() throws Exception {
        byte[] secret = LocalRanks.secret();
        try (TcpProcessGroup.Listener l0 = TcpProcessGroup.listen(LocalRanks.LOOPBACK, secret,
                     shortTimeouts().withMaxMessageBytes(10));
             TcpProcessGroup.Listener l1 = TcpProcessGroup.listen(LocalRanks.LOOPBACK, secret, shortTimeouts())) {
            List<String> addresses = List.of(l0.address(), l1.address());
            LocalRanks.Body<Integer> gather = pg -> pg.allGather(new byte[pg.rank() == 1 ? 100 : 1]).length;
            CompletableFuture<Integer> rank0 = LocalRanks.start(l0, 0, addresses, gather);
            CompletableFuture<Integer> rank1 = LocalRanks.start(l1, 1, addresses, gather);
            Throwable e = assertThrows(Exception.class, () -> rank0.get(30, TimeUnit.SECONDS)).getCause();
            assertTrue(e.getMessage().contains("100-byte message") && e.getMessage().contains("maxMessageBytes=10"),
                    e.getMessage());
            assertThrows(Exception.class, () -> rank1.get(30, TimeUnit.SECONDS)); // its peer hung up on it
        }
        assertNull(Frames.Header.decode(java.nio.ByteBuffer.allocate(Frames.BYTES).position(Frames.BYTES)),
                "zero bytes are not a header (wrong magic)");
        java.nio.ByteBuffer badKind = java.nio.ByteBuffer.allocate(Frames.BYTES).putInt(Frames.MAGIC).put((byte) 9);
        assertNull(Frames.Header.decode(badKind.position(Frames.BYTES)), "unknown kind");
    }

    @Test
    void closeIsIdempotentAndLaterCollectivesFail() throws Exception {
        List<String> out = LocalRanks.run(2, shortTimeouts(), pg -> {
            pg.barrier();
            pg.close();
            pg.close();
            DistributedException e = assertThrows(DistributedException.class, () -> pg.allReduce(Tensor.zeros(2),
                    ReduceOp.SUM));
            return e.getMessage();
        });
        for (String m : out) {
            assertTrue(m.contains("closed"), m);
        }
        TcpProcessGroup.Listener l = TcpProcessGroup.listen(LocalRanks.LOOPBACK, LocalRanks.secret(), shortTimeouts());
        l.close();
        l.close();
        assertThrows(IllegalStateException.class, () -> l.connect(0, List.of(l.address())));
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String wrongSecretClient(InetSocketAddress addr) {
        try (SocketChannel ch = SocketChannel.open(addr)) {
            ch.configureBlocking(false);
            Handshake.connect(ch, LocalRanks.secret(), 1, 0, 2, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
            return "unexpectedly accepted";
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private static String garbageClient(InetSocketAddress addr) {
        try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
            OutputStream o = s.getOutputStream();
            o.write(("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + "x".repeat(200)).getBytes());
            o.flush();
            s.getInputStream().readAllBytes();
            return "closed";
        } catch (IOException e) {
            return e.getMessage();
        }
    }
}
