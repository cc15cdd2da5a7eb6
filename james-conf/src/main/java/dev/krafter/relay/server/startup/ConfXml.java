package dev.krafter.relay.server.startup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;

import org.xml.sax.Attributes;
import org.xml.sax.Locator;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * A James XML conf file as a small tree that remembers line numbers, so that a start-up error can
 * say where the offending element is. Values are interpolated as James does for the forms this
 * project uses: {@code ${sys:name}} (system property) and {@code ${env:NAME}}.
 */
final class ConfXml {
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(sys|env):([^}]+)}");

    /** One element: name, attributes, trimmed text, children, and the line of its start tag. */
    record Element(String name, Map<String, String> attributes, String text, List<Element> children, int line) {
        List<Element> children(String childName) {
            return children.stream().filter(c -> c.name.equals(childName)).toList();
        }

        Optional<Element> child(String childName) {
            return children.stream().filter(c -> c.name.equals(childName)).findFirst();
        }

        Optional<String> attribute(String attributeName) {
            return Optional.ofNullable(attributes.get(attributeName));
        }

        /** The start tag as written (interpolated), e.g. {@code <mailet match="All" class="ToProcessor">}. */
        String startTag() {
            StringBuilder tag = new StringBuilder("<").append(name);
            attributes.forEach((k, v) -> tag.append(' ').append(k).append("=\"").append(v).append('"'));
            return tag.append('>').toString();
        }
    }

    private ConfXml() {
    }

    static Element parse(Path file) throws IOException, SAXException {
        return parse(file, ConfXml::interpolate);
    }

    static Element parse(Path file, UnaryOperator<String> interpolation) throws IOException, SAXException {
        SAXParserFactory factory = SAXParserFactory.newInstance();
        try {
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Builder builder = new Builder(interpolation);
            factory.newSAXParser().parse(file.toFile(), builder);
            return builder.root;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code ${sys:x}} and {@code ${env:X}}; an unknown variable is left as written, as James does. */
    static String interpolate(String value) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String resolved = m.group(1).equals("sys") ? System.getProperty(m.group(2)) : System.getenv(m.group(2));
            m.appendReplacement(out, Matcher.quoteReplacement(resolved == null ? m.group() : resolved));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The line of a parse error, for the message. */
    static int line(SAXException e) {
        return e instanceof SAXParseException p ? p.getLineNumber() : -1;
    }

    private static final class Builder extends DefaultHandler {
        private final UnaryOperator<String> interpolation;
        private final List<Frame> stack = new ArrayList<>();
        private Locator locator;
        private Element root;

        private record Frame(String name, Map<String, String> attributes, StringBuilder text, List<Element> children, int line) {
        }

        Builder(UnaryOperator<String> interpolation) {
            this.interpolation = interpolation;
        }

        @Override
        public void setDocumentLocator(Locator locator) {
            this.locator = locator;
        }

        @Override
        public void startElement(String uri, String localName, String qName, Attributes atts) {
            Map<String, String> attributes = new LinkedHashMap<>();
            for (int i = 0; i < atts.getLength(); i++) {
                attributes.put(atts.getQName(i), interpolation.apply(atts.getValue(i)));
            }
            stack.add(new Frame(qName, attributes, new StringBuilder(), new ArrayList<>(),
                locator == null ? -1 : locator.getLineNumber()));
        }

        @Override
        public void characters(char[] ch, int start, int length) {
            stack.get(stack.size() - 1).text.append(ch, start, length);
        }

        @Override
        public void endElement(String uri, String localName, String qName) {
            Frame f = stack.remove(stack.size() - 1);
            Element e = new Element(f.name, java.util.Collections.unmodifiableMap(f.attributes), interpolation.apply(f.text.toString().trim()),
                List.copyOf(f.children), f.line);
            if (stack.isEmpty()) {
                root = e;
            } else {
                stack.get(stack.size() - 1).children.add(e);
            }
        }
    }
}
