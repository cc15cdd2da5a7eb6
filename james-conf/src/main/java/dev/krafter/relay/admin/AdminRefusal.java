package dev.krafter.relay.admin;

/**
 * An admin request that cannot be carried out, with the text the admin reads. The kind maps to an
 * HTTP status in WebAdmin (400, 404, 409) and to the CLI's exit status.
 */
public final class AdminRefusal extends RuntimeException {

    public enum Kind {
        INVALID,
        NOT_FOUND,
        CONFLICT
    }

    private final Kind kind;

    public AdminRefusal(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    static AdminRefusal invalid(String message) {
        return new AdminRefusal(Kind.INVALID, message);
    }

    static AdminRefusal notFound(String message) {
        return new AdminRefusal(Kind.NOT_FOUND, message);
    }

    public Kind kind() {
        return kind;
    }
}
