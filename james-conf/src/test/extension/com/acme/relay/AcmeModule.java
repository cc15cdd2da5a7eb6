package com.acme.relay;

import java.io.FileNotFoundException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.utils.PropertiesProvider;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;

/**
 * Acme's bindings for its mailets, named in conf/extensions.properties:
 * {@code guice.extension.module=com.acme.relay.AcmeModule}. James's PropertiesProvider reads
 * conf/sender-routes.properties from the relay's conf directory.
 */
public class AcmeModule extends AbstractModule {
    @Provides
    @Singleton
    SenderRoutes senderRoutes(PropertiesProvider properties) throws FileNotFoundException, ConfigurationException {
        Configuration conf = properties.getConfiguration("sender-routes");
        Map<String, String> routes = new HashMap<>();
        for (Iterator<String> domains = conf.getKeys(); domains.hasNext(); ) {
            String domain = domains.next();
            routes.put(domain.toLowerCase(Locale.ROOT), conf.getString(domain).trim());
        }
        return new SenderRoutes(routes);
    }
}
