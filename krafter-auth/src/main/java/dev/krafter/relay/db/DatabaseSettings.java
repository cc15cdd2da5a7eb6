package dev.krafter.relay.db;

/** Where the relay's PostgreSQL is and how hard to wait for it. */
public record DatabaseSettings(String url, String user, String password, int poolSize,
                               long connectTimeoutMillis, int socketTimeoutSeconds) {

    public static DatabaseSettings of(String url, String user, String password) {
        return new DatabaseSettings(url, user, password, 32, 2_000, 10);
    }
}
