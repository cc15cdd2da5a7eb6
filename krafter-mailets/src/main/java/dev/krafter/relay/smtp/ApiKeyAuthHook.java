package dev.krafter.relay.smtp;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.james.core.Username;
import org.apache.james.protocols.api.OidcSASLConfiguration;
import org.apache.james.protocols.api.ProtocolSession.AttachmentKey;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.AuthHook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyAuthenticator;
import dev.krafter.relay.apikey.ApiKeySecret;
import dev.krafter.relay.apikey.AuthOutcome;
import dev.krafter.relay.db.StoreException;
import dev.krafter.relay.events.RelayEvents;

/**
 * AUTH PLAIN/LOGIN with user {@code apikey} and an API key as password. The key is checked first, so
 * a correct key always authenticates; {@link AuthThrottle} only shapes the answers to failures. Every
 * refusal is final (DENY, never DECLINED) so nothing falls through to James's users repository, and
 * none closes the connection: clients try their next mechanism on the same connection and report the
 * last reply, which a close would turn into "server disconnected". Only a failure past
 * {@code failuresPerConnection} ends it. The resolved key stays in the session for the later hooks.
 *
 * <pre>{@code <handler class="dev.krafter.relay.smtp.ApiKeyAuthHook">
 *     <failuresPerAddress>100</failuresPerAddress> <failuresPerKey>10</failuresPerKey>
 *     <windowMinutes>10</windowMinutes> <failuresPerConnection>3</failuresPerConnection>
 * </handler>}</pre>
 */
public class ApiKeyAuthHook implements AuthHook, ProtocolHandler {
    public static final AttachmentKey<ApiKey> API_KEY = AttachmentKey.of("krafter.apiKey", ApiKey.class);
    private static final AttachmentKey<Integer> FAILURES = AttachmentKey.of("krafter.authFailures", Integer.class);
    private static final Logger LOGGER = LoggerFactory.getLogger(ApiKeyAuthHook.class);

    private final ApiKeyAuthenticator authenticator;
    private final RelayEvents events;
    private AuthThrottle throttle = new AuthThrottle(AuthThrottle.Settings.DEFAULT, Clock.systemUTC());

    @Inject
    public ApiKeyAuthHook(ApiKeyAuthenticator authenticator, RelayEvents events) {
        this.authenticator = authenticator;
        this.events = events;
        events.knownAuthFailureReasons(Stream.concat(Arrays.stream(AuthOutcome.Reason.values()).map(ApiKeyAuthHook::code),
            Stream.of(RelayEvents.AUTH_LOCKED, RelayEvents.AUTH_UNAVAILABLE)).toList());
    }

    @Override
    public void init(Configuration config) {
        AuthThrottle.Settings d = AuthThrottle.Settings.DEFAULT;
        throttle = new AuthThrottle(new AuthThrottle.Settings(
            config.getInt("failuresPerAddress", d.perAddress()),
            config.getInt("failuresPerKey", d.perKey()),
            Duration.ofMinutes(config.getLong("windowMinutes", d.window().toMinutes())),
            config.getInt("failuresPerConnection", d.perConnection())), Clock.systemUTC());
    }

    /** The API key this session authenticated with, if any. */
    public static java.util.Optional<ApiKey> apiKey(SMTPSession session) {
        return session.getAttachment(API_KEY, State.Connection);
    }

    @Override
    public HookResult doAuth(SMTPSession session, Username username, String password) {
        InetAddress ip = session.getRemoteAddress().getAddress();
        AuthOutcome outcome;
        try {
            outcome = authenticator.authenticate(username.asString(), password);
        } catch (StoreException e) {
            LOGGER.error("API key lookup failed", e);
            events.authFailed(ip.getHostAddress(), RelayEvents.AUTH_UNAVAILABLE);
            return SmtpReplies.AUTH_UNAVAILABLE.hook(HookReturnCode.denySoft());
        }
        if (outcome instanceof AuthOutcome.Accepted accepted) {
            session.setAttachment(API_KEY, accepted.key(), State.Connection);
            session.setUsername(Username.of(ApiKeyAuthenticator.USERNAME));
            session.setRelayingAllowed(true);
            LOGGER.info("AUTH ok key={} account={}", accepted.key().prefix(), accepted.key().accountId());
            events.authAccepted();
            return SmtpReplies.AUTH_OK.hook(HookReturnCode.ok());
        }
        AuthOutcome.Reason reason = ((AuthOutcome.Refused) outcome).reason();
        LOGGER.info("AUTH refused from {}: {}", ip.getHostAddress(), reason);
        int failures = session.getAttachment(FAILURES, State.Connection).orElse(0) + 1;
        session.setAttachment(FAILURES, failures, State.Connection);
        if (failures > throttle.settings().perConnection()) {
            events.authFailed(ip.getHostAddress(), RelayEvents.AUTH_LOCKED);
            return SmtpReplies.AUTH_CONNECTION_OVER_BUDGET.hook(HookReturnCode.disconnected(HookReturnCode.Action.DENYSOFT));
        }
        ApiKeySecret presented = new ApiKeySecret(password);
        // Only a well-formed unknown key cost a lookup and could be a guess; the other reasons are
        // answered from the username alone or from a real key, which the key cache bounds.
        AuthThrottle.Verdict verdict = reason == AuthOutcome.Reason.UNKNOWN_KEY && presented.wellFormed()
            ? throttle.unknownKey(ip, presented.prefix())
            : AuthThrottle.Verdict.ANSWER;
        if (verdict != AuthThrottle.Verdict.ANSWER) {
            session.setAttachment(FAILURES, throttle.settings().perConnection(), State.Connection);
            events.authFailed(ip.getHostAddress(), RelayEvents.AUTH_LOCKED);
            return (verdict == AuthThrottle.Verdict.ADDRESS_OVER_BUDGET ? SmtpReplies.AUTH_ADDRESS_OVER_BUDGET : SmtpReplies.AUTH_KEY_OVER_BUDGET)
                .hook(HookReturnCode.denySoft());
        }
        events.authFailed(ip.getHostAddress(), code(reason));
        return SmtpReplies.AUTH_FAILED.hook(HookReturnCode.deny(), reason.text());
    }

    /** The reason as a metric and log code: {@code unknown_key}, {@code revoked_key}, … */
    static String code(AuthOutcome.Reason reason) {
        return reason.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public HookResult doSasl(SMTPSession session, OidcSASLConfiguration configuration, String initialResponse) {
        return SmtpReplies.AUTH_SASL_UNSUPPORTED.hook(HookReturnCode.deny());
    }
}
