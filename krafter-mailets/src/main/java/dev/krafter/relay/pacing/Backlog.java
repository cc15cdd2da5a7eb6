package dev.krafter.relay.pacing;

import java.time.Duration;
import java.util.Optional;

/**
 * Whether new mail is refused at {@code MAIL FROM}: when the spool (over all nodes) would take longer
 * than {@code maxDrain} to reach SES at the account's rate, or the 24-hour quota is spent. Accepting
 * more would only turn into a longer wait for everyone, or into mail SES refuses until tomorrow.
 *
 * @param depth        mail in the spool over all nodes; negative when unknown (the database did not answer)
 * @param drainSeconds depth / MaxSendRate; 0 when unpaced or unknown
 * @param limit        why MAIL is refused; empty when it is not
 */
public record Backlog(long depth, double drainSeconds, Optional<Limit> limit) {

    public enum Limit { BACKLOG, DAILY_QUOTA }

    public static final Backlog OPEN = new Backlog(-1, 0, Optional.empty());

    /** The decision for one moment; no quota (unpaced) or an unknown depth never refuses. */
    public static Backlog decide(long depth, Optional<SendQuota> quota, Duration maxDrain) {
        if (quota.isEmpty()) {
            return new Backlog(depth, 0, Optional.empty());
        }
        if (quota.get().dailyQuotaSpent()) {
            return new Backlog(depth, drain(depth, quota.get()), Optional.of(Limit.DAILY_QUOTA));
        }
        if (depth < 0) {
            return new Backlog(depth, 0, Optional.empty());
        }
        double drain = drain(depth, quota.get());
        boolean over = drain * 1000 > maxDrain.toMillis();
        return new Backlog(depth, drain, over ? Optional.of(Limit.BACKLOG) : Optional.empty());
    }

    private static double drain(long depth, SendQuota quota) {
        return depth <= 0 || !(quota.maxSendRate() > 0) ? 0 : depth / quota.maxSendRate();
    }

    public boolean limited() {
        return limit.isPresent();
    }
}
