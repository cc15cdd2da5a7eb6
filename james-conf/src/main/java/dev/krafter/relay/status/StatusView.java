package dev.krafter.relay.status;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@link RelayStatus} for people (one screen) and for scripts (one JSON object). Both say whether the
 * oldest queued message is older than the limit given, which is also the command's exit status.
 */
public final class StatusView {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Error texts are cut to this on the screen; the JSON carries them whole. */
    static final int ERROR_WIDTH = 100;

    private StatusView() {
    }

    /** Exit status 1 when the oldest queued message is older than {@code maxAge}: mail is stuck or slow. */
    public static int exitStatus(RelayStatus status, Duration maxAge) {
        return status.queue().olderThan(maxAge) ? 1 : 0;
    }

    public static String text(RelayStatus status, Duration maxAge) {
        StringBuilder out = new StringBuilder();
        out.append("Krafter relay at ").append(status.at().truncatedTo(ChronoUnit.SECONDS)).append(" (PostgreSQL: every node)\n\n");

        out.append(String.format("Nodes: %d up, %d seen in the last %s (up: heartbeat within %s)%n",
            status.nodesUp(), status.nodes().size(), RelayStatus.NODES_SEEN_WITHIN.toHours() + "h", age(RelayStatus.NODE_UP_WITHIN)));
        if (!status.nodes().isEmpty()) {
            out.append(String.format("  %-24s %-20s %-22s %-10s %s%n", "ID", "HOST", "SINCE", "LAST SEEN", "STATE"));
        }
        for (RelayStatus.Node node : status.nodes()) {
            out.append(String.format("  %-24s %-20s %-22s %-10s %s%n", node.id(), node.host(), seconds(node.startedAt()),
                age(node.sinceSeen()) + " ago", node.up() ? "up" : "DOWN"));
        }

        RelayStatus.Queue queue = status.queue();
        out.append("\nQueue (spool, all nodes)\n");
        out.append(String.format("  %-18s %d%n", "depth", queue.depth()));
        out.append(String.format("  %-18s %s%s%n", "oldest message", queue.oldestAge().map(StatusView::age).orElse("-"),
            queue.olderThan(maxAge) ? "   OVER --max-age " + age(maxAge) : ""));
        out.append(String.format("  %-18s %d%n", "waiting for retry", queue.retryWaiting()));
        out.append(String.format("  %-18s %d%n", "in delivery", queue.inDelivery()));

        out.append("\nDeliveries (emails by stream; deferred: retried at least once)\n");
        for (RelayStatus.Window window : status.windows()) {
            out.append(String.format("  %-16s %8s %8s %9s%n", window.name().replace('_', ' '), "SENT", "FAILED", "DEFERRED"));
            for (RelayStatus.StreamCounts counts : window.streams()) {
                out.append(String.format("    %-14s %8d %8d %9d%n", counts.stream(), counts.sent(), counts.failed(), counts.deferred()));
            }
        }

        out.append("\nLast delivery errors (last 24h; EMAILS: records that carry the error now)\n");
        if (status.errors().isEmpty()) {
            out.append("  none\n");
        } else {
            out.append(String.format("  %6s  %-20s  %s%n", "EMAILS", "LAST", "ERROR"));
        }
        for (RelayStatus.DeliveryError error : status.errors()) {
            out.append(String.format("  %6d  %-20s  %s%n", error.emails(), seconds(error.last()), oneLine(error.error())));
        }
        return out.toString();
    }

    public static String json(RelayStatus status, Duration maxAge) {
        ObjectNode root = JSON.createObjectNode();
        root.put("at", status.at().toString());
        root.put("max_age_seconds", maxAge.toSeconds());
        root.put("oldest_over_max_age", status.queue().olderThan(maxAge));
        root.put("nodes_up", status.nodesUp());
        ArrayNode nodes = root.putArray("nodes");
        status.nodes().forEach(node -> nodes.addObject()
            .put("id", node.id()).put("host", node.host())
            .put("started_at", node.startedAt().toString()).put("last_seen", node.lastSeen().toString())
            .put("seconds_since_seen", node.sinceSeen().toMillis() / 1000.0).put("up", node.up()));
        RelayStatus.Queue queue = status.queue();
        ObjectNode q = root.putObject("queue").put("depth", queue.depth());
        queue.oldestAge().ifPresentOrElse(age -> q.put("oldest_age_seconds", age.toMillis() / 1000.0), () -> q.putNull("oldest_age_seconds"));
        q.put("retry_waiting", queue.retryWaiting()).put("in_delivery", queue.inDelivery());
        ObjectNode deliveries = root.putObject("deliveries");
        for (RelayStatus.Window window : status.windows()) {
            ObjectNode w = deliveries.putObject(window.name());
            window.streams().forEach(counts -> w.putObject(counts.stream())
                .put("sent", counts.sent()).put("failed", counts.failed()).put("deferred", counts.deferred()));
        }
        ArrayNode errors = root.putArray("errors");
        status.errors().forEach(error -> errors.addObject()
            .put("error", error.error()).put("emails", error.emails()).put("last", error.last().toString()));
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** 45s, 16m40s, 3h05m, 2d03h: short, and exact enough for ages and windows. */
    static String age(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s % 60 == 0 ? s / 60 + "m" : String.format("%dm%02ds", s / 60, s % 60);
        }
        if (s < 86400) {
            return s % 3600 == 0 ? s / 3600 + "h" : String.format("%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return s % 86400 == 0 ? s / 86400 + "d" : String.format("%dd%02dh", s / 86400, s % 86400 / 3600);
    }

    private static String seconds(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static String oneLine(String text) {
        String line = text.replaceAll("\\s+", " ").strip();
        return line.length() <= ERROR_WIDTH ? line : line.substring(0, ERROR_WIDTH - 1) + "…";
    }
}
