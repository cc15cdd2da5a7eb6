package dev.krafter.relay.webadmin;

import java.util.Map;
import java.util.Optional;

import dev.krafter.relay.admin.AdminToken;

/**
 * Where WebAdmin listens and the token it asks for. WebAdmin is on exactly when KRAFTER_ADMIN_TOKEN
 * is set; it binds to loopback unless told otherwise. conf/webadmin.properties reads the derived
 * values as {@code ${sys:krafter.admin.*}}; the token never becomes a system property.
 */
public record AdminSettings(Optional<AdminToken> token, String bindAddress, int port) {
    public static final int DEFAULT_PORT = 8000;

    public static AdminSettings fromEnvironment(Map<String, String> env) {
        String port = env.getOrDefault("KRAFTER_ADMIN_PORT", String.valueOf(DEFAULT_PORT)).strip();
        int number;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            number = -1;
        }
        if (number < 0 || number > 65535) {
            throw new IllegalArgumentException("KRAFTER_ADMIN_PORT must be a port number (0: any free port), not " + port);
        }
        return new AdminSettings(AdminToken.fromSetting(env.get("KRAFTER_ADMIN_TOKEN")),
            env.getOrDefault("KRAFTER_ADMIN_BIND", "127.0.0.1").strip(), number);
    }

    public boolean enabled() {
        return token.isPresent();
    }

    public Map<String, String> systemProperties() {
        return Map.of(
            "krafter.admin.enabled", String.valueOf(enabled()),
            "krafter.admin.host", bindAddress,
            "krafter.admin.port", String.valueOf(port));
    }
}
