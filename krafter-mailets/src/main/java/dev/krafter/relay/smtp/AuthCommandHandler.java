package dev.krafter.relay.smtp;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiFunction;

import org.apache.james.core.Username;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.esmtp.AuthCmdHandler;

/**
 * James's {@code AUTH} command with its PLAIN and LOGIN exchanges redone, for three defects of 3.8.1
 * (docs/reliability.md, "Defects found"): an undecodable {@code AUTH PLAIN} continuation answered 501 but
 * left the exchange open, so the client's next command was read as credentials; an {@code AUTH LOGIN}
 * username that is not base64, empty or over 255 characters threw (451 and disconnect); and an
 * {@code AUTH PLAIN} with an empty password went to James's delegation ({@code 535 Authentication
 * Failed}, and an ERROR in the log for each attempt). Here each continuation line ends its step of
 * the exchange before it is looked at, a bad username is a 501, and an empty password reaches the
 * AuthHooks like any other. The replies otherwise are James's, and the credentials go through James's
 * {@link #doAuthTest} to the AuthHooks (ApiKeyAuthHook) as before. Other mechanisms, a second AUTH
 * and a missing argument are James's own code.
 */
public class AuthCommandHandler extends AuthCmdHandler {
    private static final Response AUTH_ABORTED = SmtpReplies.AUTH_ABORTED.response();
    private static final Response AUTH_READY_PLAIN = SmtpReplies.AUTH_READY_PLAIN.response();
    private static final Response AUTH_READY_USERNAME = SmtpReplies.AUTH_READY_USERNAME.response();
    private static final Response AUTH_READY_PASSWORD = SmtpReplies.AUTH_READY_PASSWORD.response();
    private static final Response PLAIN_UNDECODABLE = SmtpReplies.AUTH_PLAIN_UNDECODABLE.response();
    private static final Response LOGIN_UNDECODABLE = SmtpReplies.AUTH_LOGIN_UNDECODABLE.response();

    @Override
    public Response onCommand(SMTPSession session, Request request) {
        String argument = request.getArgument();
        if (session.getUsername() != null || argument == null || !session.getConfiguration().isPlainAuthEnabled()) {
            return super.onCommand(session, request);
        }
        int space = argument.indexOf(' ');
        String mechanism = (space > 0 ? argument.substring(0, space) : argument).toUpperCase(Locale.US);
        Optional<String> initial = space > 0 ? Optional.of(argument.substring(space + 1).trim()) : Optional.empty();
        switch (mechanism) {
            case "PLAIN":
                return initial.map(i -> plain(session, i)).orElseGet(() -> continueWith(session, this::plain, AUTH_READY_PLAIN));
            case "LOGIN":
                return initial.map(i -> loginUser(session, i)).orElseGet(() -> continueWith(session, this::loginUser, AUTH_READY_USERNAME));
            default:
                return super.onCommand(session, request);
        }
    }

    /** Reads the next line as the given step; the step's handler is gone before the step runs. */
    private static Response continueWith(SMTPSession session, BiFunction<SMTPSession, String, Response> step, Response prompt) {
        session.pushLineHandler((LineHandler<SMTPSession>) (s, line) -> {
            s.popLineHandler();
            String text = new String(line, s.getCharset()).replaceFirst("[\r\n]+$", "");
            return text.equals("*") ? AUTH_ABORTED : step.apply(s, text);
        });
        return prompt;
    }

    /**
     * RFC 4616: [authzid] NUL authcid NUL passwd, the authzid ignored as James does; a message
     * without the authzid's NUL (authcid NUL passwd) is taken too. Anything else cannot be read as
     * credentials: 501, where James would try a delegation and log an error.
     */
    private Response plain(SMTPSession session, String base64) {
        String[] fields;
        Username user;
        try {
            fields = decode(base64).split("\0", -1);
            if (fields.length < 2 || fields.length > 3) {
                return PLAIN_UNDECODABLE;
            }
            user = Username.of(fields[fields.length - 2]);
        } catch (IllegalArgumentException e) {
            return PLAIN_UNDECODABLE;
        }
        return doAuthTest(session, user, fields[fields.length - 1], "PLAIN");
    }

    private Response loginUser(SMTPSession session, String base64) {
        Username user;
        try {
            user = Username.of(decode(base64));
        } catch (IllegalArgumentException e) {
            return LOGIN_UNDECODABLE;
        }
        return continueWith(session, (s, password) -> loginPassword(s, user, password), AUTH_READY_PASSWORD);
    }

    private Response loginPassword(SMTPSession session, Username user, String base64) {
        String password;
        try {
            password = decode(base64);
        } catch (IllegalArgumentException e) {
            return LOGIN_UNDECODABLE;
        }
        return doAuthTest(session, user, password, "LOGIN");
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }
}
