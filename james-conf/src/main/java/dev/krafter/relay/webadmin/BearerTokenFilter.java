package dev.krafter.relay.webadmin;

import static spark.Spark.halt;

import java.util.Map;
import java.util.Optional;

import org.apache.james.webadmin.authentication.AuthenticationFilter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.krafter.relay.admin.AdminToken;
import spark.Request;
import spark.Response;

/**
 * WebAdmin's authentication: {@code Authorization: Bearer <KRAFTER_ADMIN_TOKEN>} on every route
 * (James applies it to each route's base path), 401 otherwise. Without a configured token every
 * request is refused, should WebAdmin be switched on in webadmin.properties by hand.
 */
final class BearerTokenFilter implements AuthenticationFilter {
    private static final String REFUSED = refusal();

    private final Optional<AdminToken> token;

    BearerTokenFilter(Optional<AdminToken> token) {
        this.token = token;
    }

    @Override
    public void handle(Request request, Response response) {
        if (token.isEmpty() || !token.get().admits(request.headers("Authorization"))) {
            response.header("WWW-Authenticate", "Bearer realm=\"krafter-relay\"");
            response.type("application/json");
            throw halt(401, REFUSED);
        }
        request.attribute(LOGIN, "admin");
    }

    private static String refusal() {
        try {
            return new ObjectMapper().writeValueAsString(Map.of("statusCode", 401, "type", "Unauthorized",
                "message", "send Authorization: Bearer <KRAFTER_ADMIN_TOKEN>"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
