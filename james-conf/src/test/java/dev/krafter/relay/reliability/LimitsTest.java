package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.krafter.relay.server.RelayHome;
import dev.krafter.relay.server.RelayProcess;

/**
 * Limits: per-address and total connection limits and the idle timeout, with small values
 * written into this relay's own copy of smtpserver.xml (the shipped values are in
 * docs/reliability.md). The relay runs as its own process.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitsTest {
    static final int PER_IP = 3;
    static final int TOTAL = 6;
    static final int IDLE_SECONDS = 2;

    private RelayHome home;
    private RelayProcess relay;
    private Path cert;

    @BeforeAll
    void start() throws Exception {
        home = new RelayHome(Map.of());
        Path conf = home.path().resolve("conf/smtpserver.xml");
        String xml = Files.readString(conf);
        String tweaked = xml
            .replaceFirst("<connectiontimeout>\\d+</connectiontimeout>", "<connectiontimeout>" + IDLE_SECONDS + "</connectiontimeout>")
            .replaceFirst("<connectionLimit>\\d+</connectionLimit>", "<connectionLimit>" + TOTAL + "</connectionLimit>")
            .replaceFirst("<connectionLimitPerIP>[^<]+</connectionLimitPerIP>", "<connectionLimitPerIP>" + PER_IP + "</connectionLimitPerIP>");
        assertThat(tweaked).contains("<connectionLimitPerIP>" + PER_IP + "<", "<connectionLimit>" + TOTAL + "<",
            "<connectiontimeout>" + IDLE_SECONDS + "<");
        Files.writeString(conf, tweaked);
        relay = RelayProcess.start(home.env());
        cert = home.path().resolve("var/tls/cert.pem");
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (relay != null) {
                relay.close();
            }
        } finally {
            home.close();
        }
    }

    private Wire open(String source) throws IOException {
        Wire wire = Wire.tls(source, relay.port(), cert, 10_000);
        Wire.expect(wire.reply(), "220");
        return wire;
    }

    /** Refused = closed before or right after the handshake, without a 220. */
    private boolean refused(String source) {
        try (Wire wire = Wire.tls(source, relay.port(), cert, 10_000)) {
            return !wire.reply().startsWith("220");
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void perAddressAndTotalConnectionLimits() throws Exception {
        List<Wire> held = new ArrayList<>();
        try {
            for (int i = 0; i < PER_IP; i++) {
                held.add(open("127.6.0.1"));
            }
            assertThat(refused("127.6.0.1")).as("connection " + (PER_IP + 1) + " from one address").isTrue();
            for (int i = 0; i < TOTAL - PER_IP; i++) {
                held.add(open("127.6.0.2"));
            }
            assertThat(refused("127.6.0.3")).as("connection " + (TOTAL + 1) + " in total, from a new address").isTrue();
            // the held connections still work
            for (Wire w : held) {
                assertThat(w.command("NOOP")).isEqualTo("250 2.0.0 OK");
            }
            held.remove(0).close();
            held.remove(held.size() - 1).close();
            Thread.sleep(300);
            try (Wire again = open("127.6.0.1")) {
                assertThat(again.command("EHLO client.example")).startsWith("250");
            }
            System.out.printf("limits: connectionLimitPerIP=%d -> connection %d from one address closed without 220; "
                + "connectionLimit=%d -> connection %d closed; slots come back when connections close%n", PER_IP, PER_IP + 1, TOTAL, TOTAL + 1);
        } finally {
            for (Wire w : held) {
                w.close();
            }
        }
        Thread.sleep(300);
    }

    @Test
    void idleConnectionIsClosedAfterTheTimeout() throws Exception {
        Thread.sleep(300);
        try (Wire wire = open("127.6.1.1")) {
            Wire.expect(wire.command("EHLO client.example"), "250");
            long t0 = System.nanoTime();
            List<String> lines = wire.linesUntilClose(IDLE_SECONDS * 1000L + 8_000);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("limits: connectiontimeout=%d s -> idle connection closed after %d ms, lines sent before close: %s%n",
                IDLE_SECONDS, ms, lines);
            assertThat(ms).isBetween(IDLE_SECONDS * 1000L - 200, IDLE_SECONDS * 1000L + 3_000); // not 2x any more (RelaySmtpServerFactory)
            assertThat(lines).containsExactly("421 4.4.2 Idle timeout, closing connection");
        }
    }

    @Test
    void aClientTricklingOneLineByteByByteIsClosedButOneSendingWholeCommandsIsNot() throws Exception {
        // The idle timer sits behind the line decoder: only complete lines count as activity,
        // so a slowloris trickle (a byte now and then, the line never finished) is closed after the
        // timeout, while a client that completes a command within each timeout keeps its session.
        Thread.sleep(300);
        long interval = IDLE_SECONDS * 1000L * 3 / 4;
        boolean trickleClosed = false;
        long t0 = System.nanoTime();
        try (Wire wire = open("127.6.2.1")) {
            try {
                for (char c : "NOOP NOOP NOOP".toCharArray()) {
                    wire.write(String.valueOf(c));
                    Thread.sleep(interval);
                }
                String reply = wire.command("");
                trickleClosed = reply.isEmpty() || reply.startsWith("421 4.4.2");
            } catch (IOException e) {
                trickleClosed = true;
            }
        }
        long trickleMs = (System.nanoTime() - t0) / 1_000_000;
        int answered = 0;
        try (Wire wire = open("127.6.2.2")) {
            for (int i = 0; i < 4; i++) {
                Thread.sleep(interval);
                assertThat(wire.command("NOOP")).isEqualTo("250 2.0.0 OK");
                answered++;
            }
        }
        System.out.printf("limits: partial line trickled 1 byte / %d ms -> %s after %d ms; whole NOOP every %d ms -> %d of 4 answered, "
            + "session open after %d ms%n", interval, trickleClosed ? "closed" : "STILL OPEN", trickleMs, interval, answered, 4 * interval);
        assertThat(trickleClosed).as("slowloris trickle closed").isTrue();
    }
}
