#!/bin/sh
# Builds Swoosh's SMTP adapter and what it needs (gen_smtp, mime, telemetry) from the release
# sources in VENDOR (../shared/vendor/elixir beside the clone, see its README.md) with Debian's
# elixir and erlang: only the modules the adapter uses, no Hex, no mix.
#   build.sh VENDOR OUT     → OUT/ebin (all .beam and .app files), OUT/built (the stamp)
set -eu
vendor=$1
out=$2
rm -rf "$out"
mkdir -p "$out/src" "$out/ebin"
for tarball in "$vendor"/gen_smtp-*.tar.gz "$vendor"/telemetry-*.tar.gz "$vendor"/mime-*.tar.gz "$vendor"/swoosh-*.tar.gz; do
  tar -xzf "$tarball" -C "$out/src"
done
ebin=$(cd "$out/ebin" && pwd)
cd "$out/src"

# gen_smtp: the parsers first (yecc/leex), then the client side.
cd gen_smtp-*/src
for grammar in *.yrl *.xrl; do erlc -o . "$grammar"; done
erlc -o "$ebin" smtp_rfc5322_parse.erl smtp_rfc5322_scan.erl smtp_rfc822_parse.erl \
  binstr.erl gen_smtp_client.erl mimemail.erl smtp_socket.erl smtp_util.erl
# The client does not need the server's ranch; the .app is only read, never started.
sed 's/, ranch\]/]/' gen_smtp.app.src > "$ebin/gen_smtp.app"
cd ../..

cd telemetry-*/src
erlc -I . -o "$ebin" telemetry.erl telemetry_app.erl telemetry_handler_table.erl telemetry_sup.erl
cp telemetry.app.src "$ebin/telemetry.app"
cd ../..

cd mime-*
elixirc -o "$ebin" lib/mime.ex
cd ..

# Swoosh reads its README.md at compile time: compile from the unpacked directory.
cd swoosh-*
elixirc -pa "$ebin" -o "$ebin" lib/swoosh.ex lib/swoosh/adapter.ex lib/swoosh/attachment*.ex \
  lib/swoosh/delivery_error.ex lib/swoosh/email.ex lib/swoosh/email/*.ex lib/swoosh/mailer.ex \
  lib/swoosh/adapters/smtp.ex lib/swoosh/adapters/smtp/helpers.ex
cd ..
touch "$ebin/../built"
