package dev.krafter.relay.apikey;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * The plaintext form of a key: {@code kr_live_} or {@code kr_test_} followed by 40 random base62
 * characters (≈238 bits). It exists only while being shown once or checked; at rest only its
 * SHA-256 digest and display prefix are kept.
 */
public record ApiKeySecret(String value) {
    public static final String LIVE = "kr_live_";
    public static final String TEST = "kr_test_";
    static final int RANDOM_CHARS = 40;
    private static final int PREFIX_RANDOM_CHARS = 4;
    private static final char[] BASE62 =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    public static ApiKeySecret generate(boolean sandbox) {
        StringBuilder key = new StringBuilder(sandbox ? TEST : LIVE);
        for (int i = 0; i < RANDOM_CHARS; i++) {
            key.append(BASE62[RANDOM.nextInt(BASE62.length)]);
        }
        return new ApiKeySecret(key.toString());
    }

    /** Whether the text even looks like a key; saves a database round trip for typos and garbage. */
    public boolean wellFormed() {
        if (!(value.startsWith(LIVE) || value.startsWith(TEST)) || value.length() < LIVE.length() + 32
            || value.length() > LIVE.length() + 128) {
            return false;
        }
        for (int i = LIVE.length(); i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')) {
                return false;
            }
        }
        return true;
    }

    public byte[] sha256() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    /** What admins and logs see: the kind marker plus a few characters, never enough to use. */
    public String prefix() {
        return value.substring(0, Math.min(value.length(), LIVE.length() + PREFIX_RANDOM_CHARS));
    }

    @Override
    public String toString() {
        return prefix() + "…";
    }
}
