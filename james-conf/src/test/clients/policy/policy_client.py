#!/usr/bin/env python3
"""Python smtplib.SMTP_SSL as a user would use it, driven by a small JSON script, printing every reply.

usage: policy_client.py SPEC.json

SPEC: {"port": 465, "cafile": "cert.pem", "key": "kr_live_...",
       "steps": [{"send": {"from": "a@x", "to": ["b@y"], "file": "message.eml"}},
                 {"signal": "/path/file"},                 # create the file (tells the test where we are)
                 {"wait_for": "/path/file", "timeout": 60}]} # wait until the test creates the file

One connection, one AUTH (user "apikey"), then the steps in order. Output, one line per reply, the
reply text exactly as smtplib got it:
  AUTH <code> <text>
  MAIL <code> <text>
  RCPT <address> <code> <text>
  DATA <code> <text>          (the reply after the final "."; smtplib raises SMTPDataError for
                               anything but 250, which is caught and printed the same way)
  RSET <code> <text>          (when no recipient was accepted, the transaction is reset instead)
"""
import json
import os
import smtplib
import ssl
import sys
import time


def say(*parts):
    print(*parts, flush=True)


def text(raw):
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    context = ssl.create_default_context(cafile=spec["cafile"])
    with smtplib.SMTP_SSL("localhost", int(spec["port"]), context=context, timeout=60) as smtp:
        try:
            code, reply = smtp.login("apikey", spec["key"])
            say("AUTH", code, text(reply))
        except smtplib.SMTPAuthenticationError as e:
            say("AUTH", e.smtp_code, text(e.smtp_error))
            return 1
        for step in spec["steps"]:
            if "signal" in step:
                open(step["signal"], "w").close()
            elif "wait_for" in step:
                deadline = time.monotonic() + step.get("timeout", 60)
                while not os.path.exists(step["wait_for"]):
                    if time.monotonic() > deadline:
                        say("TIMEOUT waiting for", step["wait_for"])
                        return 2
                    time.sleep(0.05)
            else:
                send(smtp, step["send"])
    return 0


def send(smtp, send):
    code, reply = smtp.mail(send["from"])
    say("MAIL", code, text(reply))
    if code != 250:
        return
    accepted = 0
    for rcpt in send["to"]:
        code, reply = smtp.rcpt(rcpt)
        say("RCPT", rcpt, code, text(reply))
        accepted += code in (250, 251)
    if not accepted:
        code, reply = smtp.rset()
        say("RSET", code, text(reply))
        return
    with open(send["file"], "rb") as f:
        message = f.read()
    try:
        code, reply = smtp.data(message)
    except smtplib.SMTPDataError as e:
        code, reply = e.smtp_code, e.smtp_error
    say("DATA", code, text(reply))


if __name__ == "__main__":
    sys.exit(main())
