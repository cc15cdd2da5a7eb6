package dev.krafter.relay.admin;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.apikey.NewApiKey;
import dev.krafter.relay.emails.EmailRecord;
import dev.krafter.relay.emails.EmailRecords;

/**
 * The relay's admin operations, for WebAdmin's routes and the CLI alike: API keys, an account's
 * sandbox, an email record. Plain Java; every refusal is an {@link AdminRefusal} with its reason.
 */
public final class RelayAdmin {
    private final ApiKeyStore keys;
    private final EmailRecords emails;

    public RelayAdmin(ApiKeyStore keys, EmailRecords emails) {
        this.keys = keys;
        this.emails = emails;
    }

    /** Creates a key; the result holds its plaintext, to be shown once. */
    public NewApiKey createKey(KeySpec spec) {
        KeySpec valid = spec.validated();
        return keys.create(valid.account(), valid.scopes(), valid.allowedStreams(), valid.sandbox());
    }

    /** All keys, or one account's, revoked ones included. */
    public List<ApiKey> keys(Optional<String> account) {
        if (account.isPresent()) {
            KeySpec.checkAccount(account.get());
            return keys.list(account.get());
        }
        return keys.list();
    }

    /**
     * Revokes the key named by id or display prefix; revoking a revoked key is not an error.
     *
     * @return the key, now revoked
     * @throws AdminRefusal NOT_FOUND for no such key, CONFLICT for a prefix shared by several active keys
     */
    public ApiKey revokeKey(String idOrPrefix) {
        List<ApiKey> named = keys.findByIdOrPrefix(idOrPrefix == null ? "" : idOrPrefix.strip());
        if (named.isEmpty()) {
            throw AdminRefusal.notFound("no API key with id or prefix " + idOrPrefix);
        }
        List<ApiKey> active = named.stream().filter(key -> !key.revoked()).toList();
        if (active.size() > 1) {
            throw new AdminRefusal(AdminRefusal.Kind.CONFLICT, "prefix " + idOrPrefix + " names " + active.size()
                + " active keys (ids " + active.stream().map(k -> String.valueOf(k.id())).toList() + "); revoke by id");
        }
        ApiKey key = active.isEmpty() ? named.get(0) : active.get(0);
        if (!key.revoked()) {
            keys.revoke(String.valueOf(key.id()));
        }
        return new ApiKey(key.id(), key.accountId(), key.prefix(), key.scopes(), key.allowedStreams(), true, key.sandbox());
    }

    /** @throws AdminRefusal NOT_FOUND for an unknown account */
    public ApiKey.Sandbox sandbox(String account) {
        KeySpec.checkAccount(account);
        return keys.sandbox(account).orElseThrow(() -> unknownAccount(account));
    }

    /**
     * Applies a change to an existing account's sandbox (accounts are created with their first key).
     * Takes effect for new SMTP sessions of this relay at once.
     *
     * @return the account's sandbox settings after the change
     */
    public ApiKey.Sandbox changeSandbox(String account, SandboxChange change) {
        ApiKey.Sandbox updated = change.applyTo(sandbox(account));
        if (!keys.updateSandbox(account, updated)) {
            throw unknownAccount(account);
        }
        return updated;
    }

    /** @throws AdminRefusal INVALID for a malformed id, NOT_FOUND for an unknown one */
    public EmailRecord email(String id) {
        UUID uuid;
        try {
            uuid = UUID.fromString(id == null ? "" : id.strip());
        } catch (IllegalArgumentException e) {
            throw AdminRefusal.invalid("'" + id + "' is not an email id (the UUID of the relay's 250 OK id=… reply)");
        }
        return emails.find(uuid).orElseThrow(() -> AdminRefusal.notFound("no email with id " + uuid));
    }

    private static AdminRefusal unknownAccount(String account) {
        return AdminRefusal.notFound("no account " + account + " (an account is created with its first API key)");
    }
}
