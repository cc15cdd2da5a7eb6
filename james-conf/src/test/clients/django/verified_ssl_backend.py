"""Django's SMTP EmailBackend with EMAIL_USE_SSL, checking the server's certificate.

Django 3.2 (Debian bookworm's python3-django) opens EMAIL_USE_SSL connections with
smtplib.SMTP_SSL and no SSL context, so Python does not verify the server's certificate at all.
This backend gives SMTP_SSL a verifying context: the system's CAs, or EMAIL_SSL_CAFILE when set
(our setting, not Django's: the relay's self-signed var/tls/cert.pem for a local run).
Use it as EMAIL_BACKEND = "verified_ssl_backend.VerifiedSSLEmailBackend".
"""
import functools
import smtplib
import ssl

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend


class VerifiedSSLEmailBackend(EmailBackend):
    @property
    def connection_class(self):
        if not self.use_ssl:
            return smtplib.SMTP
        context = ssl.create_default_context(cafile=getattr(settings, "EMAIL_SSL_CAFILE", None))
        return functools.partial(smtplib.SMTP_SSL, context=context)
