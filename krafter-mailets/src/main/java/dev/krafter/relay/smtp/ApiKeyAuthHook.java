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
    static final String AUTH_OK = "2.7.0 Authentication successful";
    static final String AUTH_FAILED = "5.7.8 Authentication failed: ";
    static final String UNAVAILABLE = "4.7.0 Temporary authentication failure, try again later";
    static final String ADDRESS_OVER_BUDGET = "4.7.0 Too many failed authentication attempts from your address, try again later";
    static final String KEY_OVER_BUDGET = "4.7.0 Too many failed authentication attempts with this API key, try again later";
    static final String CONNECTION_OVER_BUDGET = "4.7.0 Too many failed authentication attempts on this connection, reconnect";
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
            return reply(HookReturnCode.denySoft(), "454", UNAVAILABLE);
        }
        if (outcome instanceof AuthOutcome.Accepted accepted) {
            session.setAttachment(API_KEY, accepted.key(), State.Connection);
            session.setUsername(Username.of(ApiKeyAuthenticator.USERNAME));
            session.setRelayingAllowed(true);
            LOGGER.info("AUTH ok key={} account={}", accepted.key().prefix(), accepted.key().accountId());
            events.authAccepted();
            return reply(HookReturnCode.ok(), "235", AUTH_OK);
        }
        AuthOutcome.Reason reason = ((AuthOutcome.Refused) outcome).reason();
        LOGGER.info("AUTH refused from {}: {}", ip.getHostAddress(), reason);
        int failures = session.getAttachment(FAILURES, State.Connection).orElse(0) + 1;
        session.setAttachment(FAILURES, failures, State.Connection);
        if (failures > throttle.settings().perConnection()) {
            events.authFailed(ip.getHostAddress(), RelayEvents.AUTH_LOCKED);
            return reply(HookReturnCode.disconnected(HookReturnCode.Action.DENYSOFT), "421", CONNECTION_OVER_BUDGET);
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
            return reply(HookReturnCode.denySoft(), "454",
                verdict == AuthThrottle.Verdict.ADDRESS_OVER_BUDGET ? ADDRESS_OVER_BUDGET : KEY_OVER_BUDGET);
        }
        events.authFailed(ip.getHostAddress(), code(reason));
        return reply(HookReturnCode.deny(), "535", AUTH_FAILED + reason.text());
    }

    /** The reason as a metric and log code: {@code unknown_key}, {@code revoked_key}, … */
    static String code(AuthOutcome.Reason reason) {
        return reason.name().toLowerCase(Locale.ROOT);
    }

    private static HookResult reply(HookReturnCode code, String smtpCode, String text) {
        return HookResult.builder().hookReturnCode(code).smtpReturnCode(smtpCode).smtpDescription(text).build();
    }

    @Override
    public HookResult doSasl(SMTPSession session, OidcSASLConfiguration configuration, String initialResponse) {
        return reply(HookReturnCode.deny(), "504", "5.5.4 Only AUTH PLAIN and LOGIN are supported");
    }
}
