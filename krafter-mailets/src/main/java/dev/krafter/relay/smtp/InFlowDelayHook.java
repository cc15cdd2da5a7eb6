package dev.krafter.relay.smtp;

import java.time.Duration;
import java.time.temporal.ChronoUnit;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.util.DurationParser;

import dev.krafter.relay.events.RelayEvents;
import dev.krafter.relay.pacing.InFlow;

/**
 * Pauses {@code MAIL FROM}, at most {@code maxDelay}, while this node takes mail in faster than its
 * delivery threads take it from the spool ({@link InFlow}); then answers as ever. A pause, never a
 * refusal: the sender's mail is still accepted, a little later. {@code maxDelay} 0 turns it off.
 * Runs on the connection's SMTP executor thread, not on the I/O loop, so a pause holds no one else's
 * TLS or sockets.
 */
public class InFlowDelayHook implements MailHook {
    /** KRAFTER_IN_FLOW_DELAY when unset: Postfix's in_flow_delay default. */
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(1);

    private final InFlow inFlow;
    private final RelayEvents events;
    private Duration maxDelay = DEFAULT_MAX_DELAY;

    @Inject
    public InFlowDelayHook(InFlow inFlow, RelayEvents events) {
        this.inFlow = inFlow;
        this.events = events;
    }

    @Override
    public void init(Configuration config) {
        String value = config.getString("maxDelay", null);
        if (value != null) {
            maxDelay = DurationParser.parse(value.trim(), ChronoUnit.SECONDS);
        }
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        if (maxDelay.isZero()) {
            return HookResult.DECLINED;
        }
        try {
            Duration waited = inFlow.admit(maxDelay);
            if (!waited.isZero()) {
                events.smtpInFlowDelayed(waited);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return HookResult.DECLINED;
    }
}
