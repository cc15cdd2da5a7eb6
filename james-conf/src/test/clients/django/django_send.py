#!/usr/bin/python3
"""Django's mail API with the product page's settings (EMAIL_USE_SSL = True, port 465 → the test's
port, host localhost) and VerifiedSSLEmailBackend trusting the relay's certificate.
Run with Debian's /usr/bin/python3 (python3-django). Environment: see ../README.md."""
import os
import smtplib
import sys

import django
from django.conf import settings

env = os.environ
settings.configure(
    # KRAFTER_DJANGO_EMAIL_BACKEND: only for the test that shows what Django's own backend does.
    EMAIL_BACKEND=env.get("KRAFTER_DJANGO_EMAIL_BACKEND", "verified_ssl_backend.VerifiedSSLEmailBackend"),
    EMAIL_HOST="localhost",
    EMAIL_PORT=int(env["KRAFTER_PORT"]),
    EMAIL_USE_SSL=True,  # implicit TLS on port 465
    EMAIL_HOST_USER=env.get("KRAFTER_USER", "apikey"),
    EMAIL_HOST_PASSWORD=env["KRAFTER_API_KEY"],
    EMAIL_SSL_CAFILE=env["KRAFTER_CA"],
    EMAIL_TIMEOUT=30,
    DEFAULT_FROM_EMAIL="hello@yourdomain.com",
)
django.setup()

from django.core.mail import EmailMessage, EmailMultiAlternatives  # noqa: E402  (after setup)

case, subject = env["KRAFTER_CASE"], f'{env["KRAFTER_CASE"]} {env["KRAFTER_TOKEN"]}'
text = "This email was sent via Krafter Mail SMTP relay."
if case == "html":
    message = EmailMultiAlternatives(subject, "Welcome! Sent via SMTP relay.", to=["recipient@example.com"])
    message.attach_alternative("<h1>Welcome!</h1><p>Sent via SMTP relay.</p>", "text/html")
    message.attach_file(env["KRAFTER_ATTACHMENT"])
elif case == "plain":
    message = EmailMessage(subject, text, to=["recipient@example.com"])
elif case == "broadcast":
    message = EmailMessage(subject, text, to=["recipient@example.com"],
                           headers={"X-Krafter-Stream": "broadcast", "X-Krafter-Tracking-Enabled": "false"})
elif case == "bad-stream":
    message = EmailMessage(subject, text, to=["recipient@example.com"], headers={"X-Krafter-Stream": "promo"})
else:
    sys.exit(f"unknown case {case}")

try:
    sent = message.send()  # fail_silently=False: errors raise
except (smtplib.SMTPException, OSError) as e:
    print("FAIL", repr(e))
    sys.exit(1)
print("OK", f"send() returned {sent}")
