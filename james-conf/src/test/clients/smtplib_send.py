#!/usr/bin/env python3
"""Python smtplib.SMTP_SSL against the relay, as a user would write it.

usage: smtplib_send.py PORT CAFILE KEY FROM TO MESSAGE_FILE
Prints the final reply of the DATA phase as "REPLY <code> <text>" (and the AUTH reply on failure).
"""
import smtplib
import ssl
import sys

port, cafile, key, sender, rcpt, message_file = sys.argv[1:7]
context = ssl.create_default_context(cafile=cafile)
with open(message_file, "rb") as f:
    message = f.read()
with smtplib.SMTP_SSL("localhost", int(port), context=context, timeout=30) as smtp:
    try:
        smtp.login("apikey", key)
    except smtplib.SMTPAuthenticationError as e:
        print("AUTH", e.smtp_code, e.smtp_error.decode())
        sys.exit(1)
    smtp.mail(sender)
    smtp.rcpt(rcpt)
    code, text = smtp.data(message)
    print("REPLY", code, text.decode())
