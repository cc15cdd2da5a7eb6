package dev.krafter.relay.admin;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.NewApiKey;
import dev.krafter.relay.emails.EmailRecord;

/**
 * What the admin sees of keys, sandboxes and emails: ordered snake_case fields, rendered as JSON by
 * WebAdmin and as {@code name: value} lines by the CLI, so both show the same names.
 */
public final class AdminViews {
    private AdminViews() {
    }

    public static Map<String, Object> key(ApiKey key) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", key.id());
        view.put("account", key.accountId());
        view.put("prefix", key.prefix());
        view.put("scopes", new TreeSet<>(key.scopes()));
        view.put("allowed_streams", new TreeSet<>(key.allowedStreams()));
        view.put("state", key.revoked() ? "revoked" : "active");
        view.put("account_sandbox", key.sandbox().enabled());
        return view;
    }

    /** The key's plaintext under {@code key}: the one response that carries it. */
    public static Map<String, Object> created(NewApiKey created) {
        Map<String, Object> view = key(created.key());
        view.put("key", created.secret().value());
        return view;
    }

    public static Map<String, Object> sandbox(String account, ApiKey.Sandbox sandbox) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("account", account);
        view.put("sandbox", sandbox.enabled());
        view.put("allowed_recipients", new TreeSet<>(sandbox.allowedRecipients()));
        view.put("daily_cap", sandbox.dailyCap());
        return view;
    }

    public static Map<String, Object> email(EmailRecord email) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", email.id().toString());
        view.put("status", email.status());
        view.put("ses_message_id", email.sesMessageId());
        view.put("error", email.error());
        view.put("attempts", email.attempts());
        view.put("account", email.accountId());
        view.put("api_key_id", email.apiKeyId());
        view.put("stream", email.stream());
        view.put("tracking", email.tracking());
        view.put("configuration_set", email.configurationSet());
        view.put("envelope_from", email.envelopeFrom());
        view.put("envelope_to", email.envelopeTo());
        view.put("subject", email.subject());
        view.put("message_id", email.messageId());
        view.put("size_bytes", email.sizeBytes());
        view.put("created_at", text(email.createdAt()));
        view.put("updated_at", text(email.updatedAt()));
        view.put("sent_at", text(email.sentAt()));
        return view;
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
