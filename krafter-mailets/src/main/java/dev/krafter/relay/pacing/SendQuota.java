package dev.krafter.relay.pacing;

/**
 * The account's SES sending quota as {@code GetAccount} reports it.
 *
 * @param max24HourSend   messages allowed in a rolling 24 hours
 * @param maxSendRate     messages a second SES accepts from the account, over all senders
 * @param sentLast24Hours messages sent in the last 24 hours when the quota was read
 */
public record SendQuota(double max24HourSend, double maxSendRate, double sentLast24Hours) {

    /** Whether the 24-hour quota is used up (a non-positive maximum is taken as "no daily limit"). */
    public boolean dailyQuotaSpent() {
        return max24HourSend > 0 && sentLast24Hours >= max24HourSend;
    }
}
