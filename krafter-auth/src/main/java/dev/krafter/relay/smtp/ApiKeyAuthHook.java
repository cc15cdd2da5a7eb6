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
import dev.krafter.relay.apikey.AuthOutcome;
import dev.krafter.relay.apikey.StoreException;
import dev.krafter.relay.events.RelayEvents;

/**
 * AUTH PLAIN/LOGIN with user {@code apikey} and an API key as password. Every refusal is final
 * (DENY, never DECLINED) so nothing falls through to James's users repository. The resolved key
 * stays in the session for the later hooks.
 *
 * <pre>{@code <handler class="dev.krafter.relay.smtp.ApiKeyAuthHook">
 *     <slowDownAfter>3</slowDownAfter> <lockAfter>10</lockAfter>
 *     <windowMinutes>10</windowMinutes> <lockoutMinutes>5</lockoutMinutes>
 * </handler>}</pre>
 */
public class ApiKeyAuthHook implements AuthHook, ProtocolHandler {
    public static final AttachmentKey<ApiKey> API_KEY = AttachmentKey.of("krafter.apiKey", ApiKey.class);
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
            config.getInt("slowDownAfter", d.slowDownAfter()),
            config.getInt("lockAfter", d.lockAfter()),
            Duration.ofMinutes(config.getLong("windowMinutes", d.window().toMinutes())),
            Duration.ofMinutes(config.getLong("lockoutMinutes", d.lockout().toMinutes()))), Clock.systemUTC());
    }

    /** The API key this session authenticated with, if any. */
    public static java.util.Optional<ApiKey> apiKey(SMTPSession session) {
        return session.getAttachment(API_KEY, State.Connection);
    }

    @Override
    public HookResult doAuth(SMTPSession session, Username username, String password) {
        InetAddress ip = session.getRemoteAddress().getAddress();
        if (throttle.check(ip) == AuthThrottle.Verdict.LOCKED) {
            events.authFailed(ip.getHostAddress(), RelayEvents.AUTH_LOCKED);
            return locked();
        }
        AuthOutcome outcome;
        try {
            outcome = authenticator.authenticate(username.asString(), password);
        } catch (StoreException e) {
            LOGGER.error("API key lookup failed", e);
            events.authFailed(ip.getHostAddress(), RelayEvents.AUTH_UNAVAILABLE);
            return HookResult.builder().hookReturnCode(HookReturnCode.denySoft()).smtpReturnCode("454")
                .smtpDescription("4.7.0 Temporary authentication failure, try again later").build();
        }
        if (outcome instanceof AuthOutcome.Accepted accepted) {
            throttle.succeeded(ip);
            session.setAttachment(API_KEY, accepted.key(), State.Connection);
            session.setUsername(Username.of(ApiKeyAuthenticator.USERNAME));
            session.setRelayingAllowed(true);
            LOGGER.info("AUTH ok key={} account={}", accepted.key().prefix(), accepted.key().accountId());
            events.authAccepted();
            return HookResult.builder().hookReturnCode(HookReturnCode.ok())
                .smtpDescription("2.7.0 Authentication successful").build();
        }
        AuthOutcome.Reason reason = ((AuthOutcome.Refused) outcome).reason();
        LOGGER.info("AUTH refused from {}: {}", ip.getHostAddress(), reason);
        events.authFailed(ip.getHostAddress(), code(reason));
        AuthThrottle.Verdict verdict = throttle.failed(ip);
        if (verdict == AuthThrottle.Verdict.LOCKED) {
            return locked();
        }
        HookReturnCode code = verdict == AuthThrottle.Verdict.SLOW_DOWN
            ? HookReturnCode.disconnected(HookReturnCode.Action.DENY)
            : HookReturnCode.deny();
        return HookResult.builder().hookReturnCode(code).smtpReturnCode("535")
            .smtpDescription("5.7.8 Authentication failed: " + reason.text()).build();
    }

    /** The reason as a metric and log code: {@code unknown_key}, {@code revoked_key}, … */
    static String code(AuthOutcome.Reason reason) {
        return reason.name().toLowerCase(Locale.ROOT);
    }

    private static HookResult locked() {
        return HookResult.builder().hookReturnCode(HookReturnCode.disconnected(HookReturnCode.Action.DENYSOFT))
            .smtpReturnCode("454")
            .smtpDescription("4.7.0 Too many failed authentication attempts from your address, try again later")
            .build();
    }

    @Override
    public HookResult doSasl(SMTPSession session, OidcSASLConfiguration configuration, String initialResponse) {
        return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode("504")
            .smtpDescription("5.5.4 Only AUTH PLAIN and LOGIN are supported").build();
    }
}
