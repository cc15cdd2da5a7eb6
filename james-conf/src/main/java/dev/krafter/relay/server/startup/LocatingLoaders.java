package dev.krafter.relay.server.startup;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.mailetcontainer.api.MailetLoader;
import org.apache.james.mailetcontainer.api.MatcherLoader;
import org.apache.james.utils.GuiceMailetLoader;
import org.apache.james.utils.GuiceMatcherLoader;
import org.apache.mailet.Mailet;
import org.apache.mailet.MailetConfig;
import org.apache.mailet.Matcher;
import org.apache.mailet.MatcherConfig;

/**
 * James's Guice mailet and matcher loaders, unchanged, except that a failure carries what was being
 * built (class, init parameters or condition) so that {@link StartupErrors} can point at the element
 * in mailetcontainer.xml. James's own exception says only "Unable to init mailet X".
 */
public final class LocatingLoaders {
    private LocatingLoaders() {
    }

    /** A mailet or matcher that could not be built or initialised. */
    static final class ElementFailure extends MessagingException {
        private final boolean mailet;
        private final String name;
        private final Map<String, String> parameters;
        private final String condition;

        ElementFailure(boolean mailet, String name, Map<String, String> parameters, String condition, Exception cause) {
            super((mailet ? "cannot build mailet " : "cannot build matcher ") + name, cause);
            this.mailet = mailet;
            this.name = name;
            this.parameters = parameters;
            this.condition = condition;
        }

        boolean isMailet() {
            return mailet;
        }

        /** The class as written in the XML. */
        String name() {
            return name;
        }

        /** Mailet init parameters (empty for a matcher). */
        Map<String, String> parameters() {
            return parameters;
        }

        /** Matcher condition (null for a mailet or a matcher without one). */
        String condition() {
            return condition;
        }
    }

    public static final class Mailets implements MailetLoader {
        private final GuiceMailetLoader delegate;

        @Inject
        Mailets(GuiceMailetLoader delegate) {
            this.delegate = delegate;
        }

        @Override
        public Mailet getMailet(MailetConfig config) throws MessagingException {
            return located(() -> delegate.getMailet(config),
                e -> new ElementFailure(true, config.getMailetName(), parameters(config), null, e));
        }

        private static Map<String, String> parameters(MailetConfig config) {
            Map<String, String> parameters = new LinkedHashMap<>();
            for (Iterator<String> names = config.getInitParameterNames(); names.hasNext(); ) {
                String name = names.next();
                parameters.put(name, config.getInitParameter(name));
            }
            return parameters;
        }
    }

    public static final class Matchers implements MatcherLoader {
        private final GuiceMatcherLoader delegate;

        @Inject
        Matchers(GuiceMatcherLoader delegate) {
            this.delegate = delegate;
        }

        @Override
        public Matcher getMatcher(MatcherConfig config) throws MessagingException {
            return located(() -> delegate.getMatcher(config),
                e -> new ElementFailure(false, config.getMatcherName(), Map.of(), config.getCondition(), e));
        }
    }

    private interface Load<T> {
        T get() throws MessagingException;
    }

    /** James's loader's result, or its failure wrapped with what was being built. */
    private static <T> T located(Load<T> load, Function<Exception, ElementFailure> failure) throws MessagingException {
        try {
            return load.get();
        } catch (MessagingException | RuntimeException e) {
            throw failure.apply(e);
        }
    }
}
