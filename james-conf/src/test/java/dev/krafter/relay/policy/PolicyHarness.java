package dev.krafter.relay.policy;

import dev.krafter.relay.emails.EmailRecords;
import dev.krafter.relay.emails.EmailRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Small helpers shared by the end-to-end policy tests: messages with chosen header lines,
 * the id of a {@code 250 2.0.0 OK id=…} reply, what reached the outbox, email records.
 */
final class PolicyHarness {
    static final String FROM = "hello@yourdomain.com";
    static final String TO = "recipient@example.com";
    static final String TEMPFAIL = "451 Temporary failure, try again later";

    private static final Pattern ACCEPTED = Pattern.compile("250 2\\.0\\.0 OK id=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})");
    private static final ObjectMapper JSON = new ObjectMapper();

    private PolicyHarness() {
    }

    /** The SES request and the raw bytes the outbox received for one email id. */
    record Delivered(JsonNode request, byte[] eml) {
        String configurationSet() {
            return request.path("ConfigurationSetName").asText(null);
        }

        String text() {
            return new String(eml, StandardCharsets.UTF_8);
        }

        /** The header block's field names (unfolded), in order. */
        List<String> headerNames() {
            String text = text();
            int end = text.indexOf("\r\n\r\n");
            List<String> names = new ArrayList<>();
            for (String line : text.substring(0, end < 0 ? text.length() : end).split("\r\n")) {
                if (!line.isEmpty() && line.charAt(0) != ' ' && line.charAt(0) != '\t' && line.indexOf(':') > 0) {
                    names.add(line.substring(0, line.indexOf(':')));
                }
            }
            return names;
        }

        /** The value of the first header of this name (case-insensitive), unfolded; null if absent. */
        String header(String name) {
            String text = text();
            int end = text.indexOf("\r\n\r\n");
            String head = text.substring(0, end < 0 ? text.length() : end).replaceAll("\r\n[ \t]", " ");
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).strip();
                }
            }
            return null;
        }
    }

    /** A message with From/To/Subject/Message-ID, then {@code extraHeaders} (each a whole line, folded lines allowed), then a body. */
    static byte[] message(String subject, String... extraHeaders) {
        StringBuilder m = new StringBuilder()
            .append("From: ").append(FROM).append("\r\n")
            .append("To: ").append(TO).append("\r\n")
            .append("Subject: ").append(subject).append("\r\n")
            .append("Message-ID: <").append(UUID.randomUUID()).append("@yourdomain.com>\r\n");
        for (String header : extraHeaders) {
            m.append(header).append("\r\n");
        }
        m.append("\r\n").append("Body of ").append(subject).append(".\r\n");
        return m.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A message of about {@code size} octets (lines of 76 characters). */
    static byte[] messageOfSize(String subject, int size) {
        StringBuilder m = new StringBuilder(new String(message(subject), StandardCharsets.UTF_8));
        int line = 0;
        while (m.length() < size - 80) {
            m.append(String.valueOf((char) ('a' + line++ % 26)).repeat(76)).append("\r\n");
        }
        return m.toString().getBytes(StandardCharsets.UTF_8);
    }

    static boolean isAccepted(String reply) {
        return ACCEPTED.matcher(reply).matches();
    }

    /** The email id of a {@code 250 2.0.0 OK id=<uuid>} reply; fails for any other reply. */
    static UUID emailId(String reply) {
        Matcher m = ACCEPTED.matcher(reply);
        if (!m.matches()) {
            throw new AssertionError("expected 250 2.0.0 OK id=<uuid>, got: " + reply);
        }
        return UUID.fromString(m.group(1));
    }

    /** Waits for {@code <id>.json} (the outbox writes it after the .eml) and returns both. */
    static Delivered awaitDelivered(Path outbox, UUID id) throws IOException, InterruptedException {
        Path json = outbox.resolve(id + ".json");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Files.exists(json)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + json + " after 20 s");
            }
            Thread.sleep(20);
        }
        return new Delivered(JSON.readTree(json.toFile()), Files.readAllBytes(outbox.resolve(id + ".eml")));
    }

    static EmailRecord record(DataSource dataSource, UUID id) {
        return new EmailRecords(dataSource).find(id).orElseThrow(() -> new AssertionError("no email record " + id));
    }

    /** Waits until the record has this status (the delivery leg updates it after writing the outbox). */
    static EmailRecord awaitStatus(DataSource dataSource, UUID id, String status) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        EmailRecord rec = record(dataSource, id);
        while (!rec.status().equals(status) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            rec = record(dataSource, id);
        }
        return rec;
    }

    /** How many email records an account has. */
    static int records(DataSource dataSource, String account) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM emails WHERE account_id = ?")) {
            s.setString(1, account);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    static void execute(DataSource dataSource, String sql, Object... params) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            s.execute();
        }
    }

    /** One step of {@code policy_client.py}: a send, a signal file to create, or a file to wait for. */
    static Map<String, Object> send(String from, List<String> to, Path messageFile) {
        return Map.of("send", Map.of("from", from, "to", to, "file", messageFile.toString()));
    }

    static Map<String, Object> signal(Path file) {
        return Map.of("signal", file.toString());
    }

    static Map<String, Object> waitFor(Path file) {
        return Map.of("wait_for", file.toString(), "timeout", 120);
    }

    /**
     * The command line of {@code policy_client.py} (Python smtplib, one connection, one AUTH) for these
     * steps; the spec is written to {@code dir}. Its output: one line per reply ("DATA 550 5.7.1 …").
     */
    static String[] pythonClient(Path dir, int port, Path cafile, String key, List<Map<String, Object>> steps) throws IOException {
        Path spec = Files.createTempFile(dir, "policy-client", ".json");
        JSON.writeValue(spec.toFile(), Map.of("port", port, "cafile", cafile.toString(), "key", key, "steps", steps));
        return new String[] {"python3", script("policy_client.py").toString(), spec.toString()};
    }

    /** A script under src/test/clients/policy/. */
    static Path script(String name) {
        return dev.krafter.relay.db.TestDatabase.repositoryRoot()
            .resolve("james-conf/src/test/clients/policy").resolve(name);
    }
}
