#!/bin/sh
# curl over SMTPS (implicit TLS: the smtps:// scheme), --ssl-reqd, the relay's certificate verified
# against KRAFTER_CA. Plain messages are uploaded as a file; the HTML case lets curl build the MIME
# message (-F). Environment: see README.md.
set -u
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
headers="From: hello@yourdomain.com\r\nTo: recipient@example.com\r\nSubject: $KRAFTER_CASE $KRAFTER_TOKEN\r\n"
body="This email was sent via Krafter Mail SMTP relay.\r\n"
case "$KRAFTER_CASE" in
  plain)      printf "$headers\r\n$body" > "$dir/msg.eml"; set -- --upload-file "$dir/msg.eml" ;;
  broadcast)  printf "${headers}X-Krafter-Stream: broadcast\r\nX-Krafter-Tracking-Enabled: false\r\n\r\n$body" > "$dir/msg.eml"
              set -- --upload-file "$dir/msg.eml" ;;
  bad-stream) printf "${headers}X-Krafter-Stream: promo\r\n\r\n$body" > "$dir/msg.eml"; set -- --upload-file "$dir/msg.eml" ;;
  html)       printf '<h1>Welcome!</h1><p>Sent via SMTP relay.</p>' > "$dir/body.html"
              set -- -H "From: hello@yourdomain.com" -H "To: recipient@example.com" \
                     -H "Subject: $KRAFTER_CASE $KRAFTER_TOKEN" \
                     -F '=(;type=multipart/alternative' \
                     -F '=Welcome! Sent via SMTP relay.;type=text/plain' \
                     -F "=<$dir/body.html;type=text/html" \
                     -F '=)' \
                     -F "=@$KRAFTER_ATTACHMENT;encoder=base64" ;;
  *) echo "FAIL unknown case $KRAFTER_CASE"; exit 1 ;;
esac
curl --silent --show-error --verbose --max-time 60 \
  --ssl-reqd "smtps://localhost:$KRAFTER_PORT" \
  --cacert "$KRAFTER_CA" \
  --user "${KRAFTER_USER:-apikey}:$KRAFTER_API_KEY" \
  --mail-from hello@yourdomain.com \
  --mail-rcpt recipient@example.com \
  "$@" > "$dir/out" 2>&1
status=$?
cat "$dir/out"
# With --verbose, curl prints each server line as "< …"; the reply to the message data is the last
# one before QUIT.
reply=$(sed -n 's/^< \([0-9][0-9][0-9] .*\)/\1/p; /^> QUIT/q' "$dir/out" | tail -n 1 | tr -d '\r')
if [ "$status" -eq 0 ]; then echo "OK $reply"; else echo "FAIL exit $status: $(grep '^curl: ' "$dir/out" | tail -n 1) ($reply)"; fi
exit "$status"
