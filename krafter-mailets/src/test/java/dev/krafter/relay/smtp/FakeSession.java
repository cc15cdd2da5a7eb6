package dev.krafter.relay.smtp;

import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.apache.james.core.Username;
import org.apache.james.protocols.api.ProtocolSession.AttachmentKey;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.smtp.SMTPSession;

import dev.krafter.relay.apikey.ApiKey;

/**
 * The slice of an SMTPSession our hooks use (attachments, the username, the client's address), as a dynamic proxy:
 * SMTPSession has some forty methods and protocols-smtp's own test double is not published.
 * Any other call fails loudly, so a hook that starts using more of the session shows up here.
 */
final class FakeSession {
    private FakeSession() {
    }

    static SMTPSession unauthenticated() {
        return create(null, null, List.of());
    }

    static SMTPSession authenticated(ApiKey key) {
        return create(Username.of("apikey"), key, List.of());
    }

    static SMTPSession authenticated(ApiKey key, List<MailAddress> acceptedRecipients) {
        return create(Username.of("apikey"), key, acceptedRecipients);
    }

    private static SMTPSession create(Username username, ApiKey key, List<MailAddress> recipients) {
        Map<String, Object> attachments = new HashMap<>();
        if (key != null) {
            attachments.put(id(ApiKeyAuthHook.API_KEY, State.Connection), key);
        }
        if (!recipients.isEmpty()) {
            attachments.put(id(SMTPSession.RCPT_LIST, State.Transaction), List.copyOf(recipients));
        }
        return (SMTPSession) Proxy.newProxyInstance(FakeSession.class.getClassLoader(), new Class<?>[] {SMTPSession.class},
            (proxy, method, args) -> switch (method.getName()) {
                case "getUsername" -> username;
                case "getAttachment" -> Optional.ofNullable(attachments.get(id((AttachmentKey<?>) args[0], (State) args[1])));
                case "setAttachment" -> Optional.ofNullable(attachments.put(id((AttachmentKey<?>) args[0], (State) args[2]), args[1]));
                case "getSessionID" -> "fake-session";
                case "getRemoteAddress" -> new InetSocketAddress(InetAddress.getLoopbackAddress(), 50000);
                case "toString" -> "FakeSession";
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> throw new UnsupportedOperationException("FakeSession." + method.getName());
            });
    }

    private static String id(AttachmentKey<?> key, State state) {
        return state + ":" + key.asString();
    }
}
