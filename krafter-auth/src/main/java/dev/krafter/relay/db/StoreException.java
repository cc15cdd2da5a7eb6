package dev.krafter.relay.db;

/** The key store could not answer (database down, timeout): a temporary condition for SMTP. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
