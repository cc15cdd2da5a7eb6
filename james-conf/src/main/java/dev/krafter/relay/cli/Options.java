package dev.krafter.relay.cli;

import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** The CLI's --name value / --flag options; anything else is a usage error. */
final class Options {
    private Options() {
    }

    static Map<String, String> parse(Deque<String> args, Set<String> valued, Set<String> flags) {
        Map<String, String> options = new HashMap<>();
        while (!args.isEmpty()) {
            String arg = args.pop();
            if (flags.contains(arg)) {
                options.put(arg, "true");
            } else if (valued.contains(arg)) {
                if (args.isEmpty()) {
                    throw new IllegalArgumentException(arg + " needs a value");
                }
                options.put(arg, args.pop());
            } else {
                throw new IllegalArgumentException("unknown option: " + arg);
            }
        }
        return options;
    }

    static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
        return value;
    }
}
