package dev.krafter.relay.server.startup;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.commons.configuration2.PropertiesConfiguration;
import org.apache.commons.configuration2.convert.DefaultListDelimiterHandler;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.io.FileHandler;
import org.apache.mailet.Mailet;
import org.apache.mailet.Matcher;
import org.xml.sax.SAXException;

import dev.krafter.relay.mailets.DeliveryMailet;
import dev.krafter.relay.mailets.KrafterAttributes;
import dev.krafter.relay.policy.Stream;

/**
 * Checks {@code mailetcontainer.xml} and {@code extensions.properties} before the server starts, the
 * way James will read them, and reports the first mistake as a {@link StartupFailure} naming the
 * file, the element and the fix. James 3.8.1 finds most of these too, but later (after the
 * database, the queue and the SMTP server are built), with a stack trace and without saying where:
 * an unknown class is "Unable to init mailet X" / ClassNotFoundException, a missing processor is
 * "undefined processors: [ProcessingState{value=x}]" — and a typo in a Mail attribute name in a
 * matcher condition is not found at all: the branch silently never matches.
 *
 * <p>Checked: the XML is well formed; {@code <processors>} has {@code root}, {@code error} and a
 * {@code transport} with James's mandatory {@code RemoveMimeHeader bcc}; no processor state twice;
 * every mailet and matcher class can be loaded (class path + {@code extensions-jars/}, with James's
 * short names for its standard ones) and is a Mailet / Matcher; every processor a mailet sends mail
 * to exists ({@code ToProcessor}'s {@code processor}, {@code onMailetException},
 * {@code onMatchException}, Krafter's {@code retryProcessor}); conditions of James's attribute
 * matchers name a real {@code krafter.*} attribute and, where the values are known, a real value;
 * every {@code guice.extension.module} can be loaded and is a Guice module.
 * Init parameters are checked by the mailets themselves when James builds them;
 * {@link StartupErrors} turns those failures into the same kind of message.
 */
public final class PipelineCheck {
    static final String MAILETS_PACKAGE = "org.apache.james.transport.mailets.";
    static final String MATCHERS_PACKAGE = "org.apache.james.transport.matchers.";
    private static final String KRAFTER_MAILETS_PACKAGE = KrafterAttributes.class.getPackageName() + ".";
    private static final Set<String> MAILET_EXCEPTION_KEYWORDS = Set.of("ignore", "propagate");
    private static final Set<String> MATCH_EXCEPTION_KEYWORDS = Set.of("nomatch", "matchall", "propagate");

    /** Mail attributes the relay sets, with their values where they are a closed set (from the classes that own them). */
    static final Map<String, Set<String>> KRAFTER_ATTRIBUTES = Map.of(
        KrafterAttributes.EMAIL_ID.asString(), Set.of(),
        KrafterAttributes.STREAM.asString(), Arrays.stream(Stream.values()).map(Stream::wireName).collect(Collectors.toUnmodifiableSet()),
        KrafterAttributes.TRACKING.asString(), Set.of("true", "false"),
        KrafterAttributes.CONFIGURATION_SET.asString(), Set.of(),
        KrafterAttributes.LIST_UNSUBSCRIBE.asString(), Set.of("true", "false"),
        KrafterAttributes.KEY_PREFIX.asString(), Set.of(),
        KrafterAttributes.ACCOUNT.asString(), Set.of(),
        DeliveryMailet.ATTEMPT.asString(), Set.of());

    private final Path home;
    private final Path confDir;
    private final Path extensionsDir;

    private PipelineCheck(Path home, Path confDir) {
        this.home = home;
        this.confDir = confDir;
        this.extensionsDir = home.resolve("extensions-jars");
    }

    /** Checks the conf of a relay whose working directory is {@code home}. System properties must be set. */
    public static void check(Path home, Path confDir) throws StartupFailure {
        PipelineCheck check = new PipelineCheck(home, confDir);
        try (URLClassLoader loader = check.extensionClassLoader()) {
            check.checkExtensions(loader);
            check.checkMailetContainer(loader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How a conf file is named in messages: relative to KRAFTER_HOME when inside it. */
    static String displayName(Path home, Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        return absolute.startsWith(home) ? home.relativize(absolute).toString() : absolute.toString();
    }

    /** The jars James's ExtendedClassLoader will load: every file under extensions-jars/, recursively. */
    static List<Path> extensionJars(Path home) {
        Path dir = home.resolve("extensions-jars");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private URLClassLoader extensionClassLoader() {
        URL[] urls = extensionJars(home).stream().map(p -> {
            try {
                return p.toUri().toURL();
            } catch (MalformedURLException e) {
                throw new IllegalStateException(e);
            }
        }).toArray(URL[]::new);
        return new URLClassLoader(urls, PipelineCheck.class.getClassLoader());
    }

    // ---------------------------------------------------------------- extensions.properties

    private void checkExtensions(ClassLoader loader) throws StartupFailure {
        Path file = confDir.resolve("extensions.properties");
        if (!Files.isRegularFile(file)) {
            return;
        }
        // Read as James reads it (commons-configuration): a key given on two lines is a list of both.
        PropertiesConfiguration properties = new PropertiesConfiguration();
        properties.setListDelimiterHandler(new DefaultListDelimiterHandler(','));
        try (Reader in = Files.newBufferedReader(file)) {
            new FileHandler(properties).load(in);
        } catch (IOException | ConfigurationException | RuntimeException e) {
            throw new StartupFailure(name(file), null, "cannot be read: " + e.getMessage() + ".",
                "write it as Java properties (key=value lines), see the comments in the distribution's copy.");
        }
        for (String key : List.of("guice.extension.module", "guice.extension.startable")) {
            Set<String> named = new HashSet<>();
            for (String className : properties.getStringArray(key)) {
                className = className.trim();
                if (className.isEmpty()) {
                    continue;
                }
                String element = key + "=" + className;
                if (!named.add(className)) {
                    throw new StartupFailure(name(file), element, className + " is named twice; Guice would refuse its bindings as bound twice.",
                        "name each class once.");
                }
                Class<?> type = load(loader, className).orElseThrow(() -> new StartupFailure(name(file), element,
                    "no class " + quote(this.className(element)) + " on the relay's class path or in extensions-jars/" + jarsNow() + ".",
                    "put the jar that holds it into " + extensionsDir + " (or correct the name) and restart."));
                if (key.equals("guice.extension.module") && !com.google.inject.Module.class.isAssignableFrom(type)) {
                    throw new StartupFailure(name(file), element, className + " is not a Guice module.",
                        "name a class that implements com.google.inject.Module (usually extends AbstractModule).");
                }
            }
        }
    }

    private String className(String element) {
        return element.substring(element.indexOf('=') + 1);
    }

    // ---------------------------------------------------------------- mailetcontainer.xml

    private void checkMailetContainer(ClassLoader loader) throws StartupFailure {
        Path file = confDir.resolve("mailetcontainer.xml");
        String fileName = name(file);
        ConfXml.Element root;
        try {
            root = ConfXml.parse(file);
        } catch (NoSuchFileException e) {
            throw new StartupFailure(fileName, null, "the file is missing.",
                "copy conf/mailetcontainer.xml from the distribution (the relay's mail pipeline) into " + confDir + ".");
        } catch (SAXException e) {
            int line = ConfXml.line(e);
            throw new StartupFailure(fileName, line > 0 ? "line " + line : null,
                "is not well-formed XML: " + e.getMessage().replaceFirst("\\.$", "") + ".", "correct the XML at that place (an unclosed or misspelt tag, a stray '<' or '&').");
        } catch (IOException e) {
            throw new StartupFailure(fileName, null, "cannot be read: " + e.getMessage() + ".", "make it readable by the relay.");
        }
        new Container(fileName, root, loader).check();
    }

    private final class Container {
        private final String file;
        private final ConfXml.Element root;
        private final ClassLoader loader;
        private final Set<String> states = new LinkedHashSet<>();

        Container(String file, ConfXml.Element root, ClassLoader loader) {
            this.file = file;
            this.root = root;
            this.loader = loader;
        }

        void check() throws StartupFailure {
            ConfXml.Element processors = root.child("processors").orElseThrow(() -> new StartupFailure(file,
                root.startTag(), "there is no <processors> element, so James would run an empty pipeline.",
                "restore the <processors> section from the distribution's conf/mailetcontainer.xml."));
            for (ConfXml.Element processor : processors.children("processor")) {
                String state = processor.attribute("state").map(String::trim).orElse("");
                if (state.isEmpty()) {
                    throw new StartupFailure(file, at(processor), "the processor has no state attribute.",
                        "give it a name: <processor state=\"...\">.");
                }
                if (!states.add(state)) {
                    throw new StartupFailure(file, at(processor), "processor \"" + state + "\" is defined twice; James would keep only the last one.",
                        "merge the two <processor state=\"" + state + "\"> elements or rename one.");
                }
            }
            for (String required : List.of("root", "error", "transport")) {
                if (!states.contains(required)) {
                    throw new StartupFailure(file, at(processors), "there is no <processor state=\"" + required + "\">; the relay needs "
                        + (required.equals("root") ? "it as the start of every message's path."
                        : required.equals("error") ? "it for mail that a mailet failed on."
                        : "it (James checks that it removes the Bcc: header)."),
                        "add <processor state=\"" + required + "\"> back (see the distribution's conf/mailetcontainer.xml).");
                }
            }
            for (ConfXml.Element processor : processors.children("processor")) {
                checkProcessor(processor);
            }
        }

        private void checkProcessor(ConfXml.Element processor) throws StartupFailure {
            String state = processor.attributes().get("state").trim();
            Set<String> composites = new HashSet<>();
            for (ConfXml.Element matcher : processor.children("matcher")) {
                checkCompositeMatcher(matcher, state, composites);
            }
            boolean bccRemoved = false;
            for (ConfXml.Element mailet : processor.children("mailet")) {
                String where = at(mailet) + " in processor \"" + state + "\"";
                Optional<String> match = mailet.attribute("match");
                Optional<String> notMatch = mailet.attribute("notmatch");
                if (match.isPresent() && notMatch.isPresent()) {
                    throw new StartupFailure(file, where, "the mailet has both match and notmatch.", "keep one of the two attributes.");
                }
                Optional<String> matcherSpec = match.or(() -> notMatch);
                if (matcherSpec.isPresent() && !composites.contains(matcherSpec.get())) {
                    checkMatcher(matcherSpec.get(), where);
                }
                Class<?> mailetClass = checkMailet(mailet, where);
                checkProcessorReferences(mailet, mailetClass, where);
                if (state.equals("transport") && isRemoveBcc(mailet, matcherSpec, mailetClass)) {
                    bccRemoved = true;
                }
            }
            if (state.equals("transport") && !bccRemoved) {
                throw new StartupFailure(file, at(processor), "James requires the transport processor to remove the Bcc: header,"
                    + " and it has no <mailet match=\"All\" class=\"RemoveMimeHeader\"><name>bcc</name></mailet>.",
                    "add that mailet back to <processor state=\"transport\"> (before the ToProcessor that sends mail on).");
            }
        }

        private boolean isRemoveBcc(ConfXml.Element mailet, Optional<String> matcher, Class<?> mailetClass) {
            return mailetClass.getName().equals(MAILETS_PACKAGE + "RemoveMimeHeader")
                && mailet.attribute("notmatch").isEmpty()
                && matcher.map(m -> m.equals("All") || m.equals(MATCHERS_PACKAGE + "All")).orElse(true)
                && mailet.child("name").map(n -> n.text().equals("bcc")).orElse(false);
        }

        private void checkCompositeMatcher(ConfXml.Element matcher, String state, Set<String> composites) throws StartupFailure {
            String where = at(matcher) + " in processor \"" + state + "\"";
            Optional<String> match = matcher.attribute("match");
            Optional<String> notMatch = matcher.attribute("notmatch");
            if (match.isPresent() == notMatch.isPresent()) {
                throw new StartupFailure(file, where, "a <matcher> needs exactly one of match and notmatch.",
                    "write <matcher name=\"...\" match=\"org.apache.james.mailetcontainer.impl.matchers.Or\"> (or And, Not, Xor) with <matcher match=\"...\"/> children.");
            }
            checkMatcher(match.or(() -> notMatch).get(), where);
            for (ConfXml.Element child : matcher.children("matcher")) {
                checkCompositeMatcher(child, state, new HashSet<>());
            }
            Optional<String> name = matcher.attribute("name");
            if (name.isPresent() && !composites.add(name.get())) {
                throw new StartupFailure(file, where, "a composite matcher named \"" + name.get() + "\" is already defined in this processor.",
                    "give each <matcher name=\"...\"> of a processor its own name.");
            }
        }

        private void checkMatcher(String spec, String where) throws StartupFailure {
            int eq = spec.indexOf('=');
            String name = (eq < 0 ? spec : spec.substring(0, eq)).trim();
            String condition = eq < 0 ? null : spec.substring(eq + 1);
            Class<?> type = resolve(name, MATCHERS_PACKAGE).orElseThrow(() -> new StartupFailure(file, where,
                "no matcher class " + quote(name) + (name.contains(".") ? "" : " (nor " + MATCHERS_PACKAGE + name + ")")
                    + " on the relay's class path or in extensions-jars/" + jarsNow() + ".",
                unknownClassFix(name, MATCHERS_PACKAGE, "matcher")));
            if (!Matcher.class.isAssignableFrom(type)) {
                throw new StartupFailure(file, where, type.getName() + " is not a matcher (org.apache.mailet.Matcher)"
                    + (Mailet.class.isAssignableFrom(type) ? ", it is a mailet" : "") + ".",
                    "use it in class=\"...\" if it is a mailet, or name a matcher in match=\"...\".");
            }
            checkInstantiable(type, where);
            checkAttributeCondition(type, condition, where);
        }

        private Class<?> checkMailet(ConfXml.Element mailet, String where) throws StartupFailure {
            String name = mailet.attribute("class").map(String::trim).orElse("");
            if (name.isEmpty()) {
                throw new StartupFailure(file, where, "the mailet has no class attribute.",
                    "name the mailet class: class=\"ToProcessor\" for James's own, the full name for any other.");
            }
            Class<?> type = resolve(name, MAILETS_PACKAGE).orElseThrow(() -> new StartupFailure(file, where,
                "no mailet class " + quote(name) + (name.contains(".") ? "" : " (nor " + MAILETS_PACKAGE + name + ")")
                    + " on the relay's class path or in extensions-jars/" + jarsNow() + ".",
                unknownClassFix(name, MAILETS_PACKAGE, "mailet")));
            if (!Mailet.class.isAssignableFrom(type)) {
                throw new StartupFailure(file, where, type.getName() + " is not a mailet (org.apache.mailet.Mailet)"
                    + (Matcher.class.isAssignableFrom(type) ? ", it is a matcher" : "") + ".",
                    "use it in match=\"...\" if it is a matcher, or name a mailet in class=\"...\".");
            }
            checkInstantiable(type, where);
            return type;
        }

        private void checkInstantiable(Class<?> type, String where) throws StartupFailure {
            if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
                throw new StartupFailure(file, where, type.getName() + " is abstract and cannot be built.",
                    "name a concrete class.");
            }
        }

        private void checkProcessorReferences(ConfXml.Element mailet, Class<?> type, String where) throws StartupFailure {
            if (type.getName().equals(MAILETS_PACKAGE + "ToProcessor")) {
                String target = mailet.child("processor").map(ConfXml.Element::text).orElse("");
                if (target.isEmpty()) {
                    throw new StartupFailure(file, where, "ToProcessor has no <processor> parameter.",
                        "add <processor>name of the processor</processor>; defined here: " + String.join(", ", states) + ".");
                }
                requireProcessor(target, "<processor>" + target + "</processor>", where);
            }
            Optional<String> onMailet = mailet.child("onMailetException").map(ConfXml.Element::text);
            if (onMailet.isPresent() && !MAILET_EXCEPTION_KEYWORDS.contains(onMailet.get().toLowerCase(Locale.ROOT))) {
                // James lower-cases this value before using it as a processor state.
                requireProcessor(onMailet.get().toLowerCase(Locale.ROOT), "<onMailetException>" + onMailet.get() + "</onMailetException>", where);
            }
            Optional<String> onMatch = mailet.child("onMatchException").map(ConfXml.Element::text);
            if (onMatch.isPresent() && !MATCH_EXCEPTION_KEYWORDS.contains(onMatch.get().toLowerCase(Locale.ROOT))) {
                requireProcessor(onMatch.get(), "<onMatchException>" + onMatch.get() + "</onMatchException>", where);
            }
            if (DeliveryMailet.class.isAssignableFrom(type)) {
                Optional<String> retry = mailet.child("retryProcessor").map(ConfXml.Element::text).filter(s -> !s.isEmpty());
                if (retry.isPresent()) {
                    requireProcessor(retry.get(), "<retryProcessor>" + retry.get() + "</retryProcessor>", where);
                }
            }
        }

        private void requireProcessor(String state, String parameter, String where) throws StartupFailure {
            if (!states.contains(state)) {
                throw new StartupFailure(file, where, parameter + " sends mail to processor \"" + state
                    + "\", and there is no <processor state=\"" + state + "\">; mail would be lost on that path.",
                    "add <processor state=\"" + state + "\"> to <processors>, or name one that exists: "
                        + String.join(", ", states) + ".");
            }
        }

        /** HasMailAttribute=name, HasMailAttributeWithValue=name,value, HasMailAttributeWithValueRegex=name,regex. */
        private void checkAttributeCondition(Class<?> matcher, String condition, String where) throws StartupFailure {
            String simple = matcher.getName().startsWith(MATCHERS_PACKAGE) ? matcher.getName().substring(MATCHERS_PACKAGE.length()) : "";
            if (!Set.of("HasMailAttribute", "HasMailAttributeWithValue", "HasMailAttributeWithValueRegex").contains(simple)) {
                return;
            }
            boolean withValue = !simple.equals("HasMailAttribute");
            String example = simple + "=" + (withValue ? KrafterAttributes.STREAM.asString() + "," + Stream.BROADCAST.wireName()
                : KrafterAttributes.EMAIL_ID.asString());
            if (condition == null || condition.isBlank()) {
                throw new StartupFailure(file, where, simple + " needs a condition.", "write match=\"" + example + "\".");
            }
            int comma = condition.indexOf(',');
            if (withValue && comma < 0) {
                throw new StartupFailure(file, where, simple + " needs the attribute name and the " + (simple.endsWith("Regex") ? "pattern" : "value")
                    + " separated by a comma, and \"" + condition + "\" has no comma.", "write match=\"" + example + "\".");
            }
            String attribute = (withValue ? condition.substring(0, comma) : condition).trim();
            if (!attribute.startsWith("krafter.")) {
                return; // James's own or an extension's attribute: not ours to know
            }
            if (!KRAFTER_ATTRIBUTES.containsKey(attribute)) {
                throw new StartupFailure(file, where, "there is no Mail attribute " + quote(attribute)
                    + ": the condition would never match.",
                    "use one of " + KRAFTER_ATTRIBUTES.keySet().stream().sorted().collect(Collectors.joining(", ")) + ".");
            }
            Set<String> values = KRAFTER_ATTRIBUTES.get(attribute);
            if (simple.equals("HasMailAttributeWithValue") && !values.isEmpty()) {
                String value = condition.substring(comma + 1).trim();
                if (!values.contains(value)) {
                    throw new StartupFailure(file, where, attribute + " is never \"" + value + "\": the condition would never match.",
                        "compare with one of its values: " + values.stream().sorted().collect(Collectors.joining(", ")) + ".");
                }
            }
        }

        private Optional<Class<?>> resolve(String name, String standardPackage) throws StartupFailure {
            Optional<Class<?>> direct = load(loader, name);
            return direct.isPresent() ? direct : load(loader, standardPackage + name);
        }

        private String unknownClassFix(String name, String standardPackage, String kind) {
            List<String> guesses = guesses(name, standardPackage);
            if (!guesses.isEmpty()) {
                return "did you mean " + String.join(" or ", guesses) + "? Correct the class name.";
            }
            if (!name.contains(".")) {
                return "James's standard " + kind + "s go by their simple name (e.g. "
                    + (kind.equals("mailet") ? "ToProcessor" : "All") + "); any other " + kind
                    + " needs its full class name, and its jar in " + extensionsDir + ". Correct the name or add the jar, then restart.";
            }
            return "correct the class name, or put the jar that holds it into " + extensionsDir + " and restart.";
        }

        /** Near misses: a trailing 's' more or less, or the same simple name in James's or Krafter's package. */
        private List<String> guesses(String name, String standardPackage) {
            String simple = name.substring(name.lastIndexOf('.') + 1);
            String prefix = name.substring(0, name.lastIndexOf('.') + 1);
            List<String> simples = new ArrayList<>(List.of(simple, simple + "s"));
            if (simple.endsWith("s")) {
                simples.add(simple.substring(0, simple.length() - 1));
            }
            Set<String> candidates = new LinkedHashSet<>();
            for (String pkg : new LinkedHashSet<>(List.of(prefix, standardPackage, KRAFTER_MAILETS_PACKAGE))) {
                simples.forEach(s -> candidates.add(pkg + s));
            }
            candidates.remove(name);
            candidates.remove(standardPackage + name);
            List<String> found = new ArrayList<>();
            for (String candidate : candidates) {
                if (quietLoad(loader, candidate).isPresent()) {
                    found.add(candidate.startsWith(standardPackage) ? candidate.substring(standardPackage.length()) : candidate);
                }
            }
            return found;
        }

        private String at(ConfXml.Element element) {
            return element.startTag() + " (line " + element.line() + ")";
        }
    }

    private String jarsNow() {
        List<Path> jars = extensionJars(home).stream()
            .filter(p -> p.toString().endsWith(".jar") || p.toString().endsWith(".zip")).toList();
        if (jars.isEmpty()) {
            return " (" + extensionsDir + (Files.isDirectory(extensionsDir) ? " has no jar" : " is missing") + ")";
        }
        return " (" + extensionsDir + " holds " + jars.stream().map(p -> extensionsDir.relativize(p).toString())
            .collect(Collectors.joining(", ")) + ")";
    }

    private String name(Path file) {
        return displayName(home, file);
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    private static Optional<Class<?>> quietLoad(ClassLoader loader, String name) {
        try {
            return Optional.of(Class.forName(name, false, loader));
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.empty();
        }
    }

    /** A class that exists but cannot be loaded (wrong Java version, missing dependency) is a failure of its own. */
    private Optional<Class<?>> load(ClassLoader loader, String name) throws StartupFailure {
        if (name.isEmpty() || name.startsWith(".") || name.endsWith(".") || name.contains("..")
            || Arrays.stream(name.split("\\.")).anyMatch(part -> !isJavaIdentifier(part))) {
            return Optional.empty();
        }
        try {
            return Optional.of(Class.forName(name, false, loader));
        } catch (ClassNotFoundException e) {
            return Optional.empty();
        } catch (UnsupportedClassVersionError e) {
            throw new StartupFailure(displayName(home, extensionsDir), name, "the class was compiled for a newer Java than this one ("
                + Runtime.version().feature() + "): " + e.getMessage() + ".",
                "compile it with --release " + Runtime.version().feature() + " (or older) and replace the jar.");
        } catch (LinkageError e) {
            throw new StartupFailure(displayName(home, extensionsDir), name, "the class cannot be loaded: " + e + ".",
                "put the jars it depends on into extensions-jars/ too, or build it against the relay's libraries (lib/).");
        }
    }

    private static boolean isJavaIdentifier(String part) {
        if (part.isEmpty() || !Character.isJavaIdentifierStart(part.charAt(0))) {
            return false;
        }
        return part.chars().allMatch(Character::isJavaIdentifierPart);
    }
}
