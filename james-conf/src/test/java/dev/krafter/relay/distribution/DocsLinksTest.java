package dev.krafter.relay.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.db.TestDatabase;

/**
 * Every relative link of README.md and docs/**&#47;*.md points to a file or directory that exists
 * and, if it has an #anchor into a markdown file, to a heading of that file (GitHub's anchors:
 * lower case, punctuation dropped, spaces to hyphens, "-1", "-2" … for repeated headings).
 * Links inside code (fenced blocks, `inline code`) are not links and are skipped; so are
 * absolute URLs (http:, https:, mailto:).
 */
class DocsLinksTest {
    private static final Path ROOT = TestDatabase.repositoryRoot();
    /** [text](target) and [text](target "title"); images too. */
    private static final Pattern LINK = Pattern.compile("\\[(?:[^\\]\\[]|\\[[^\\]]*\\])*\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)\\s*#*\\s*$");

    @Test
    void everyRelativeLinkResolvesToAFileAndHeading() throws IOException {
        List<Path> docs = documents();
        assertThat(docs).contains(ROOT.resolve("README.md"), ROOT.resolve("docs/settings.md"), ROOT.resolve("docs/clients.md"));
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path doc : docs) {
            for (String target : links(Files.readString(doc))) {
                if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
                    continue; // https:, mailto:, …
                }
                checked++;
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                String anchor = hash < 0 ? null : URLDecoder.decode(target.substring(hash + 1), StandardCharsets.UTF_8);
                Path resolved = file.isEmpty() ? doc : doc.getParent().resolve(URLDecoder.decode(file, StandardCharsets.UTF_8)).normalize();
                String where = ROOT.relativize(doc) + ": (" + target + ")";
                if (!resolved.startsWith(ROOT) || !Files.exists(resolved)) {
                    broken.add(where + " — no such file " + ROOT.relativize(resolved));
                } else if (anchor != null && resolved.toString().endsWith(".md") && !anchors(resolved).contains(anchor)) {
                    broken.add(where + " — no heading with anchor #" + anchor + " in " + ROOT.relativize(resolved));
                }
            }
        }
        assertThat(checked).as("relative links checked").isGreaterThan(20);
        assertThat(broken).as("broken relative links").isEmpty();
    }

    @Test
    void anchorsAreGitHubs() {
        assertThat(anchorsOf("# Operating the relay\n## Swoosh (Elixir / Phoenix)\n## `KRAFTER_X` and co.\n## Notes\n## Notes\n"
            + "```\n# not a heading\n```\n## 1. Get the distribution\n"))
            .containsExactly("operating-the-relay", "swoosh-elixir--phoenix", "krafter_x-and-co", "notes", "notes-1",
                "1-get-the-distribution");
        assertThat(links("[a](b.md) `[c](d.md)`\n```\n[e](f.md)\n```\n[g](h.md#i \"title\") [`j`](k.md)"))
            .containsExactly("b.md", "h.md#i", "k.md");
    }

    private static List<Path> documents() throws IOException {
        List<Path> docs = new ArrayList<>();
        docs.add(ROOT.resolve("README.md"));
        try (Stream<Path> files = Files.walk(ROOT.resolve("docs"))) {
            files.filter(f -> f.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }

    /** Link targets outside code. */
    static List<String> links(String markdown) {
        List<String> targets = new ArrayList<>();
        for (String line : withoutCode(markdown)) {
            for (Matcher m = LINK.matcher(line.replaceAll("`[^`]*`", "``")); m.find(); ) {
                targets.add(m.group(1));
            }
        }
        return targets;
    }

    private static Set<String> anchors(Path file) throws IOException {
        return anchorsOf(Files.readString(file));
    }

    static Set<String> anchorsOf(String markdown) {
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : withoutCode(markdown)) {
            Matcher m = HEADING.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String text = m.group(2).replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1"); // a link in a heading: its text
            String slug = text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}\\s_-]", "").replace(' ', '-');
            int n = seen.merge(slug, 1, Integer::sum);
            anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
        }
        return anchors;
    }

    /** The lines outside fenced code blocks. */
    private static List<String> withoutCode(String markdown) {
        List<String> lines = new ArrayList<>();
        boolean fenced = false;
        for (String line : markdown.split("\n", -1)) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (!fenced) {
                lines.add(line);
            }
        }
        return lines;
    }
}
