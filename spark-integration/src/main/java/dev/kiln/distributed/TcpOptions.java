package dev.kiln.distributed;
public record TcpOptions(java.time.Duration connectTimeout, java.time.Duration opTimeout, long bucketBytes) {
    public static TcpOptions defaults() { return new TcpOptions(java.time.Duration.ofMinutes(1), java.time.Duration.ofMinutes(1), 25L << 20); }
}
