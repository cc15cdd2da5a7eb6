package com.acme.relay;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Which SES configuration set a sender domain's mail goes out with (from conf/sender-routes.properties). */
public final class SenderRoutes {
    private final Map<String, String> configurationSetByDomain;

    public SenderRoutes(Map<String, String> configurationSetByDomain) {
        this.configurationSetByDomain = Map.copyOf(configurationSetByDomain);
    }

    public Optional<String> configurationSetFor(String domain) {
        return Optional.ofNullable(configurationSetByDomain.get(domain.toLowerCase(Locale.ROOT)));
    }

    @Override
    public String toString() {
        return configurationSetByDomain.toString();
    }
}
