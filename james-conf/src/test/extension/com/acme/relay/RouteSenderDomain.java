package com.acme.relay;

import java.util.Set;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the mail of chosen sender domains (MAIL FROM) with their own SES configuration set, by
 * overwriting the krafter.configurationSet Mail attribute that SesSend (and Outbox) use. The routes
 * arrive through Guice: AcmeModule binds {@link SenderRoutes}.
 */
public class RouteSenderDomain extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(RouteSenderDomain.class);
    private static final AttributeName CONFIGURATION_SET = AttributeName.of("krafter.configurationSet");

    private final SenderRoutes routes;

    @Inject
    public RouteSenderDomain(SenderRoutes routes) {
        this.routes = routes;
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of());
        LOGGER.info("sender routes: {}", routes);
    }

    @Override
    public void service(Mail mail) {
        mail.getMaybeSender().asOptional()
            .map(MailAddress::getDomain)
            .flatMap(domain -> routes.configurationSetFor(domain.asString()))
            .ifPresent(set -> mail.setAttribute(new Attribute(CONFIGURATION_SET, AttributeValue.of(set))));
    }

    @Override
    public String getMailetInfo() {
        return "RouteSenderDomain";
    }
}
