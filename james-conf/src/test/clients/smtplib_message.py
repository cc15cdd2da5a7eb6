#!/usr/bin/env python3
"""Python's smtplib.SMTP_SSL (implicit TLS) with an email.message.EmailMessage, verifying the relay's
certificate against KRAFTER_CA. Environment: see README.md."""
import mimetypes
import os
import smtplib
import ssl
import sys
from email.message import EmailMessage

env = os.environ
case = env["KRAFTER_CASE"]
message = EmailMessage()
message["From"] = "hello@yourdomain.com"
message["To"] = "recipient@example.com"
message["Subject"] = f'{case} {env["KRAFTER_TOKEN"]}'
if case == "html":
    message.set_content("Welcome! Sent via SMTP relay.")
    message.add_alternative("<h1>Welcome!</h1><p>Sent via SMTP relay.</p>", subtype="html")
    path = env["KRAFTER_ATTACHMENT"]
    maintype, subtype = (mimetypes.guess_type(path)[0] or "application/octet-stream").split("/")
    with open(path, "rb") as f:
        message.add_attachment(f.read(), maintype=maintype, subtype=subtype, filename=os.path.basename(path))
else:
    message.set_content("This email was sent via Krafter Mail SMTP relay.")
    if case == "broadcast":
        message["X-Krafter-Stream"] = "broadcast"
        message["X-Krafter-Tracking-Enabled"] = "false"
    elif case == "bad-stream":
        message["X-Krafter-Stream"] = "promo"

context = ssl.create_default_context(cafile=env["KRAFTER_CA"])
try:
    with smtplib.SMTP_SSL("localhost", int(env["KRAFTER_PORT"]), context=context, timeout=30) as smtp:
        smtp.login(env.get("KRAFTER_USER", "apikey"), env["KRAFTER_API_KEY"])
        refused = smtp.send_message(message)
except (smtplib.SMTPException, OSError) as e:
    print("FAIL", repr(e))
    sys.exit(1)
print("OK", f"send_message() returned {refused}")
