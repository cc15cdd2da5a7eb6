package com.acme.relay;

import java.util.Set;

import javax.mail.MessagingException;

import org.apache.mailet.Mail;
import org.apache.mailet.MailetException;
import org.apache.mailet.base.GenericMailet;

/**
 * Adds one header field to every mail it sees, e.g. in the broadcast processor:
 * <pre>
 * &lt;mailet match="All" class="com.acme.relay.AddHeader"&gt;
 *     &lt;name&gt;X-Acme-Campaign&lt;/name&gt;
 *     &lt;value&gt;spring-sale&lt;/value&gt;
 * &lt;/mailet&gt;
 * </pre>
 */
public class AddHeader extends GenericMailet {
    private String name;
    private String value;

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of("name", "value"));
        name = getInitParameter("name", "").trim();
        value = getInitParameter("value", "").trim();
        if (name.isEmpty() || value.isEmpty()) {
            throw new MailetException("AddHeader needs <name> and <value>");
        }
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        // No saveChanges(): only the header section is rewritten when the message is read again,
        // the body stays as the client sent it.
        mail.getMessage().addHeader(name, value);
    }

    @Override
    public String getMailetInfo() {
        return "AddHeader";
    }
}
