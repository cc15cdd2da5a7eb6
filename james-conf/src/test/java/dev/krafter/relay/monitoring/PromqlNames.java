package dev.krafter.relay.monitoring;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression reads. Not a parser: label values, label matchers, ranges,
 * grouping lists and keywords are stripped, then every identifier not called as a function is a
 * metric name. Enough for the expressions of our dashboard and rules, which the tests also hand to
 * promtool.
 */
public final class PromqlNames {
    private static final Pattern STRINGS = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGES = Pattern.compile("\\[[^]]*]");
    private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring",
        "group_left", "group_right", "offset", "bool", "inf", "nan", "Inf", "NaN");

    private PromqlNames() {
    }

    public static Set<String> of(String expression) {
        String bare = STRINGS.matcher(expression).replaceAll("\"\"");
        bare = MATCHERS.matcher(bare).replaceAll(" ");
        bare = RANGES.matcher(bare).replaceAll(" ");
        bare = GROUPING.matcher(bare).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        for (Matcher m = IDENTIFIER.matcher(bare); m.find(); ) {
            if (m.group(2) == null && !KEYWORDS.contains(m.group(1))) {
                names.add(m.group(1));
            }
        }
        return names;
    }
}
