package dev.krafter.relay.webadmin;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.ErrorResponder;
import org.apache.james.webadmin.utils.ErrorResponder.ErrorType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.krafter.relay.admin.AdminRefusal;
import dev.krafter.relay.admin.AdminViews;
import dev.krafter.relay.admin.KeySpec;
import dev.krafter.relay.admin.RelayAdmin;
import dev.krafter.relay.admin.SandboxChange;
import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.NewApiKey;
import dev.krafter.relay.db.StoreException;
import spark.Request;
import spark.Response;
import spark.Service;

/**
 * Krafter's admin routes under /krafter: JSON in, JSON out, errors in James's WebAdmin error shape
 * ({@code statusCode, type, message}). Thin: parsing and rendering here, decisions in {@link RelayAdmin}.
 */
public final class KrafterAdminRoutes implements Routes {
    static final String BASE = "/krafter";
    private static final Logger LOGGER = LoggerFactory.getLogger(KrafterAdminRoutes.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RelayAdmin admin;

    @Inject
    KrafterAdminRoutes(RelayAdmin admin) {
        this.admin = admin;
    }

    @Override
    public String getBasePath() {
        return BASE;
    }

    @Override
    public void define(Service service) {
        service.post(BASE + "/keys", this::createKey);
        service.get(BASE + "/keys", (request, response) -> json(() ->
            admin.keys(Optional.ofNullable(request.queryParams("account"))).stream().map(AdminViews::key).toList()));
        service.delete(BASE + "/keys/:key", (request, response) -> json(() -> {
            ApiKey revoked = admin.revokeKey(request.params("key"));
            LOGGER.info("WebAdmin: revoked API key {} ({}) of account {}", revoked.id(), revoked.prefix(), revoked.accountId());
            return AdminViews.key(revoked);
        }));
        service.get(BASE + "/accounts/:account/sandbox", (request, response) -> json(() ->
            AdminViews.sandbox(request.params("account"), admin.sandbox(request.params("account")))));
        service.patch(BASE + "/accounts/:account/sandbox", this::changeSandbox);
        service.put(BASE + "/accounts/:account/sandbox", this::changeSandbox);
        service.get(BASE + "/emails/:id", (request, response) -> json(() -> AdminViews.email(admin.email(request.params("id")))));
    }

    /**
     * 201 with the key's plaintext, shown this once. The body is written to the servlet response
     * directly: what a route returns is what James's WebAdmin response logger records.
     */
    private Object createKey(Request request, Response response) throws IOException {
        JsonNode body = object(request, Set.of("account", "scopes", "allowed_streams", "sandbox"));
        NewApiKey created = call(() -> admin.createKey(KeySpec.of(text(body, "account").orElse(null),
            strings(body, "scopes"), strings(body, "allowed_streams"), bool(body, "sandbox").orElse(false))));
        LOGGER.info("WebAdmin: created API key {} ({}) for account {}", created.key().id(), created.key().prefix(),
            created.key().accountId());
        byte[] json = JSON.writeValueAsBytes(AdminViews.created(created));
        response.status(201);
        response.header("Cache-Control", "no-store");
        response.raw().setContentLength(json.length);
        try (OutputStream out = response.raw().getOutputStream()) {
            out.write(json);
        }
        return "";
    }

    private Object changeSandbox(Request request, Response response) {
        return json(() -> {
            JsonNode body = object(request, Set.of("sandbox", "allowed_recipients", "daily_cap"));
            String account = request.params("account");
            ApiKey.Sandbox sandbox = admin.changeSandbox(account,
                new SandboxChange(bool(body, "sandbox"), strings(body, "allowed_recipients"), integer(body, "daily_cap")));
            LOGGER.info("WebAdmin: account {} sandbox {} ({} allowed recipients, daily cap {})", account,
                sandbox.enabled() ? "on" : "off", sandbox.allowedRecipients().size(), sandbox.dailyCap());
            return AdminViews.sandbox(account, sandbox);
        });
    }

    private static String json(Supplier<Object> action) {
        Object view = call(action);
        try {
            return JSON.writeValueAsString(view);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs an admin operation, turning its refusals into WebAdmin error replies. */
    private static <T> T call(Supplier<T> action) {
        try {
            return action.get();
        } catch (AdminRefusal e) {
            throw ErrorResponder.builder()
                .statusCode(switch (e.kind()) {
                    case INVALID -> 400;
                    case NOT_FOUND -> 404;
                    case CONFLICT -> 409;
                })
                .type(switch (e.kind()) {
                    case INVALID -> ErrorType.INVALID_ARGUMENT;
                    case NOT_FOUND -> ErrorType.NOT_FOUND;
                    case CONFLICT -> ErrorType.WRONG_STATE;
                })
                .message(e.getMessage())
                .haltError();
        } catch (StoreException e) {
            LOGGER.warn("WebAdmin: database unavailable: {}", e.getMessage());
            throw ErrorResponder.builder().statusCode(503).type(ErrorType.SERVER_ERROR)
                .message("the database is unavailable; try again").haltError();
        }
    }

    /** The request body as a JSON object with only the given fields (a misspelt field is a 400, not ignored). */
    private static JsonNode object(Request request, Set<String> fields) {
        String type = request.contentType();
        if (type != null && type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            // curl -d without -H 'Content-Type: application/json': Jetty has read the body as form fields.
            throw ErrorResponder.builder().statusCode(415).type(ErrorType.INVALID_ARGUMENT)
                .message("send the body as JSON, with Content-Type: application/json").haltError();
        }
        JsonNode body;
        try {
            String text = request.body();
            body = text == null || text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw invalid("the body is not valid JSON");
        }
        if (!body.isObject()) {
            throw invalid("the body must be a JSON object");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw invalid("unknown field '" + name + "' (fields: " + String.join(", ", fields) + ")");
            }
        }
        return body;
    }

    private static Optional<String> text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw invalid(field + " must be a string");
        }
        return Optional.of(value.asText());
    }

    private static Optional<Boolean> bool(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isBoolean()) {
            throw invalid(field + " must be true or false");
        }
        return Optional.of(value.asBoolean());
    }

    private static Optional<Integer> integer(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber()) {
            throw invalid(field + " must be a whole number");
        }
        return Optional.of(value.asInt());
    }

    private static Optional<Set<String>> strings(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isArray()) {
            throw invalid(field + " must be an array of strings");
        }
        Set<String> items = new LinkedHashSet<>();
        for (JsonNode item : value) {
            if (!item.isTextual()) {
                throw invalid(field + " must be an array of strings");
            }
            items.add(item.asText().strip());
        }
        return Optional.of(items);
    }

    private static RuntimeException invalid(String message) {
        return ErrorResponder.builder().statusCode(400).type(ErrorType.INVALID_ARGUMENT).message(message).haltError();
    }
}
