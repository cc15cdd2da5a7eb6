package dev.krafter.relay.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * The admin's bearer token (KRAFTER_ADMIN_TOKEN). Compared by SHA-256 digest with
 * {@link MessageDigest#isEqual}, so neither the content nor the length of a wrong guess shows in the
 * time taken. Never printed: {@link #toString()} hides it.
 */
public final class AdminToken {
    public static final int MIN_LENGTH = 20;

    private final byte[] digest;

    private AdminToken(String value) {
        this.digest = sha256(value);
    }

    /**
     * @return empty when no token is configured (admin off)
     * @throws IllegalArgumentException for a token too short to be a secret
     */
    public static Optional<AdminToken> fromSetting(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String token = value.strip();
        if (token.length() < MIN_LENGTH || token.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
            throw new IllegalArgumentException("KRAFTER_ADMIN_TOKEN must be at least " + MIN_LENGTH
                + " printable ASCII characters without spaces (e.g. openssl rand -hex 32)");
        }
        return Optional.of(new AdminToken(token));
    }

    /** Whether an {@code Authorization} header value carries this token as {@code Bearer <token>}. */
    public boolean admits(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(authorizationHeader.substring(7).strip()));
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    @Override
    public String toString() {
        return "AdminToken[hidden]";
    }
}
