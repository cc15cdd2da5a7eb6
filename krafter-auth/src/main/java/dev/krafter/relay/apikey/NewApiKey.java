package dev.krafter.relay.apikey;

/** A key just created: the only moment its plaintext exists outside the user's hands. */
public record NewApiKey(ApiKeySecret secret, ApiKey key) {
}
