package dev.krafter.relay.server.startup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.mail.MessagingException;

import org.apache.commons.configuration2.ex.ConfigurationException;

import com.google.inject.CreationException;
import com.google.inject.ProvisionException;
import com.google.inject.spi.Message;

/**
 * Turns what James 3.8.1 throws when the mail pipeline cannot be built into a {@link StartupFailure}
 * naming the file, the element and the fix. What {@link PipelineCheck} cannot know before James
 * runs ends up here: a mailet or matcher whose own init refuses its parameters or condition, a
 * constructor dependency nobody binds (an extension without its Guice module), a processor an
 * extension mailet declares it needs.
 */
public final class StartupErrors {
    private static final Pattern UNDEFINED_PROCESSOR = Pattern.compile("ProcessingState\\{value=([^}]*)}");
    /** Guice 5: an interface nobody binds, or a class it cannot build by itself (no @Inject or no-argument constructor). */
    private static final Pattern MISSING_BINDING = Pattern.compile(
        "No implementation for (\\S+?)(?: annotated with .*)? was bound|No injectable constructor for type (\\S+?)\\.?(?:\\s|$)");

    private StartupErrors() {
    }

    public static Optional<StartupFailure> translate(Throwable failure, Path home, Path confDir) {
        Path file = confDir.resolve("mailetcontainer.xml");
        String fileName = PipelineCheck.displayName(home, file);
        List<Throwable> chain = chain(failure);
        for (Throwable t : chain) {
            if (t instanceof LocatingLoaders.ElementFailure element) {
                return Optional.of(elementFailure(element, file, fileName, home));
            }
        }
        for (Throwable t : chain) {
            if (t instanceof ConfigurationException && t.getMessage() != null
                && t.getMessage().contains("undefined processors")) {
                Matcher m = UNDEFINED_PROCESSOR.matcher(t.getMessage());
                List<String> missing = new ArrayList<>();
                while (m.find()) {
                    missing.add(m.group(1));
                }
                return Optional.of(new StartupFailure(fileName, "<processors>",
                    "a mailet sends mail to processor(s) " + quoted(missing) + " (it says so itself), and no <processor state=\"...\"> has that name.",
                    "add <processor state=\"" + (missing.isEmpty() ? "..." : missing.get(0)) + "\"> to <processors>, or configure the mailet to use a processor that exists.",
                    failure));
            }
        }
        for (Throwable t : chain) {
            String binding = missingBinding(t);
            if (binding != null) {
                return Optional.of(new StartupFailure(PipelineCheck.displayName(home, confDir.resolve("extensions.properties")), null,
                    "a class the relay builds with Guice needs a " + binding + ", and nothing binds one.",
                    bindingFix(binding), failure));
            }
        }
        return Optional.empty();
    }

    /** One line for a Guice exception (its first error), null for anything else. */
    public static String guiceSummary(Throwable t) {
        Collection<Message> messages = t instanceof ProvisionException p ? p.getErrorMessages()
            : t instanceof com.google.inject.ConfigurationException c ? c.getErrorMessages()
            : t instanceof CreationException c ? c.getErrorMessages() : null;
        return messages == null || messages.isEmpty() ? null : firstLine(messages);
    }

    private static StartupFailure elementFailure(LocatingLoaders.ElementFailure failure, Path file, String fileName, Path home) {
        String kind = failure.isMailet() ? "mailet" : "matcher";
        Throwable reason = reason(failure);
        String binding = missingBinding(reason);
        String problem;
        String fix;
        if (binding != null && (binding.equals(failure.name()) || binding.endsWith("." + failure.name()))) {
            problem = "Guice cannot build the " + kind + " " + binding + ": it has neither a public no-argument constructor nor one marked @Inject.";
            fix = "give the class a public no-argument constructor, or mark the constructor that takes its dependencies with @javax.inject.Inject.";
        } else if (binding != null) {
            problem = "James cannot build the " + kind + ": its constructor needs a " + binding + ", and nothing binds one.";
            fix = bindingFix(binding);
        } else {
            problem = "James cannot build the " + kind + ": " + summary(reason);
            fix = failure.isMailet()
                ? "correct the mailet's init parameters (Krafter's mailets: docs/mailets.md; James's: its mailet documentation), then restart."
                : "correct the matcher's condition (the part after '=' in match=\"...\"; docs/mailets.md), then restart.";
        }
        return new StartupFailure(fileName, locate(failure, file), problem, fix, failure);
    }

    private static String bindingFix(String type) {
        return "bind " + type + " in a Guice module (a class implementing com.google.inject.Module, in a jar in extensions-jars/)"
            + " and name that module in conf/extensions.properties: guice.extension.module=<its full class name>;"
            + " see docs/extending.md.";
    }

    /** The mailet's or matcher's own complaint: below our wrapper and James's "Can not load …" wrapper. */
    private static Throwable reason(LocatingLoaders.ElementFailure failure) {
        Throwable t = failure.getCause();
        while (t != null && t.getCause() != null && t.getMessage() != null
            && (t.getMessage().startsWith("Can not load mailet") || t.getMessage().startsWith("Can not load matcher"))) {
            t = t.getCause();
        }
        return t == null ? failure : t;
    }

    private static String summary(Throwable t) {
        if (t instanceof ProvisionException p) {
            if (p.getCause() != null) {
                return summary(p.getCause());
            }
            return firstLine(p.getErrorMessages());
        }
        if (t instanceof com.google.inject.ConfigurationException c) {
            return firstLine(c.getErrorMessages());
        }
        String message = t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getName() : t.getMessage().strip();
        if (t instanceof ClassNotFoundException) {
            message = "class not found: " + message;
        } else if (t.getCause() != null && t.getCause() != t && t.getCause().getMessage() != null
            && !message.contains(t.getCause().getMessage())) {
            message = message + " (" + t.getCause().getMessage().strip() + ")";
        }
        message = message.lines().findFirst().orElse(message);
        return message.endsWith(".") ? message : message + ".";
    }

    private static String firstLine(Collection<Message> messages) {
        String text = messages.stream().findFirst().map(Message::getMessage).orElse("Guice error");
        text = text.replaceFirst("^\\[Guice/[A-Za-z]+]:\\s*", "");
        return text.lines().findFirst().orElse(text);
    }

    private static String missingBinding(Throwable t) {
        Collection<Message> messages = t instanceof ProvisionException p ? p.getErrorMessages()
            : t instanceof com.google.inject.ConfigurationException c ? c.getErrorMessages()
            : t instanceof CreationException c ? c.getErrorMessages() : List.of();
        for (Message message : messages) {
            Matcher m = MISSING_BINDING.matcher(message.getMessage());
            if (m.find()) {
                return m.group(1) != null ? m.group(1) : m.group(2);
            }
        }
        return null;
    }

    /** The element James was building: same class (as written) and, for a mailet, the same parameters. */
    private static String locate(LocatingLoaders.ElementFailure failure, Path file) {
        ConfXml.Element root;
        try {
            root = ConfXml.parse(file);
        } catch (Exception e) {
            return (failure.isMailet() ? "<mailet class=\"" : "<matcher match=\"") + failure.name() + "\">";
        }
        List<String> exact = new ArrayList<>();
        List<String> sameClass = new ArrayList<>();
        for (ConfXml.Element processors : root.children("processors")) {
            for (ConfXml.Element processor : processors.children("processor")) {
                String in = " in processor \"" + processor.attribute("state").orElse("") + "\"";
                for (ConfXml.Element element : elements(processor)) {
                    if (failure.isMailet() && element.name().equals("mailet")
                        && element.attribute("class").map(String::trim).orElse("").equals(failure.name())) {
                        String where = element.startTag() + " (line " + element.line() + ")" + in;
                        sameClass.add(where);
                        if (parameters(element).equals(failure.parameters())) {
                            exact.add(where);
                        }
                    } else if (!failure.isMailet()) {
                        String spec = failure.name() + (failure.condition() == null ? "" : "=" + failure.condition());
                        for (String attribute : List.of("match", "notmatch")) {
                            Optional<String> value = element.attribute(attribute).map(String::trim);
                            if (value.isPresent() && value.get().equals(spec)) {
                                exact.add(element.startTag() + " (line " + element.line() + ")" + in);
                            }
                        }
                    }
                }
            }
        }
        List<String> found = !exact.isEmpty() ? exact : sameClass;
        if (found.isEmpty()) {
            return (failure.isMailet() ? "<mailet class=\"" : "<... match=\"") + failure.name() + "\">";
        }
        return found.size() == 1 ? found.get(0) : "one of " + String.join("; ", found);
    }

    /** Mailets and (composite) matchers of a processor, depth first. */
    private static List<ConfXml.Element> elements(ConfXml.Element processor) {
        List<ConfXml.Element> all = new ArrayList<>();
        collect(processor, all);
        return all;
    }

    private static void collect(ConfXml.Element parent, List<ConfXml.Element> into) {
        for (ConfXml.Element child : parent.children()) {
            if (child.name().equals("mailet") || child.name().equals("matcher")) {
                into.add(child);
                collect(child, into);
            }
        }
    }

    private static Map<String, String> parameters(ConfXml.Element mailet) {
        Map<String, String> parameters = new LinkedHashMap<>();
        for (ConfXml.Element child : mailet.children()) {
            parameters.putIfAbsent(child.name(), child.text());
        }
        return parameters;
    }

    private static List<Throwable> chain(Throwable failure) {
        List<Throwable> chain = new ArrayList<>();
        Set<Throwable> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        List<Throwable> todo = new ArrayList<>(List.of(failure));
        while (!todo.isEmpty()) {
            Throwable t = todo.remove(0);
            if (t == null || !seen.add(t)) {
                continue;
            }
            chain.add(t);
            todo.add(t.getCause());
            if (t instanceof MessagingException m) {
                todo.add(m.getNextException());
            }
            if (t instanceof ProvisionException p) {
                p.getErrorMessages().forEach(msg -> todo.add(msg.getCause()));
            }
            if (t instanceof CreationException c) {
                c.getErrorMessages().forEach(msg -> todo.add(msg.getCause()));
            }
            for (Throwable s : t.getSuppressed()) {
                todo.add(s);
            }
        }
        return chain;
    }

    private static String quoted(List<String> names) {
        return names.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", "));
    }
}
