#!/bin/sh
# swaks as on the product page, with implicit TLS (--tls-on-connect: the page's --tls is STARTTLS)
# and the relay's certificate verified against KRAFTER_CA. Environment: see README.md.
set -u
case "$KRAFTER_CASE" in
  plain)      set -- --body "This email was sent via Krafter Mail SMTP relay." ;;
  html)       set -- --attach-type text/plain --attach-body "Welcome! Sent via SMTP relay." \
                     --attach-type text/html --attach-body "<h1>Welcome!</h1><p>Sent via SMTP relay.</p>" \
                     --attach "@$KRAFTER_ATTACHMENT" ;;
  broadcast)  set -- --header "X-Krafter-Stream: broadcast" --header "X-Krafter-Tracking-Enabled: false" \
                     --body "This email was sent via Krafter Mail SMTP relay." ;;
  bad-stream) set -- --header "X-Krafter-Stream: promo" --body "This email was sent via Krafter Mail SMTP relay." ;;
  *) echo "FAIL unknown case $KRAFTER_CASE"; exit 1 ;;
esac
transcript=$(swaks \
  --to recipient@example.com \
  --from hello@yourdomain.com \
  --server localhost \
  --port "$KRAFTER_PORT" \
  --tls-on-connect --tls-verify --tls-ca-path "$KRAFTER_CA" \
  --auth-user "${KRAFTER_USER:-apikey}" \
  --auth-password "$KRAFTER_API_KEY" \
  --header "Subject: $KRAFTER_CASE $KRAFTER_TOKEN" \
  "$@" 2>&1)
status=$?
printf '%s\n' "$transcript"
# swaks prints server lines as "<~  250 …" (expected) or "<~* 550 …" (an error); the reply to the
# message data is the one after the " ~> ." line.
reply=$(printf '%s\n' "$transcript" | sed -n '/^ ~> \.$/{n;s/^<~[* ]*//p;q}')
# Before the data (AUTH refused, say) the reply that failed is the last "<~*" line.
[ -n "$reply" ] || reply=$(printf '%s\n' "$transcript" | sed -n 's/^<~\* //p' | tail -n 1)
if [ "$status" -eq 0 ]; then echo "OK $reply"; else echo "FAIL exit $status: ${reply:-$(printf '%s\n' "$transcript" | tail -n 1)}"; fi
exit "$status"
