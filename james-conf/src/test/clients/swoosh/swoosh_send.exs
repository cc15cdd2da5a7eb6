# Swoosh's SMTP adapter (gen_smtp underneath) with the product page's settings: ssl: true (implicit
# TLS), tls: :never, auth: :always, user "apikey"; host localhost, the test's port, and sockopts
# trusting the relay's self-signed certificate. Run with: elixir -pa <ebin> swoosh_send.exs
# (build.sh makes <ebin>). Environment: see ../README.md.
#
# gen_smtp reduces a refused AUTH to the atom :auth_failed; the relay's text reaches the
# application only through gen_smtp's trace_fun, which this program keeps to report it.
import Swoosh.Email

Logger.configure(level: :info)
# In an application gen_smtp's .app starts ssl; here the same by hand.
{:ok, _} = Application.ensure_all_started(:gen_smtp)
env = System.get_env()

# Local run only: Erlang's ssl refuses a self-signed server certificate even when it is the CA
# given (selfsigned_peer), so that one certificate is accepted by its exact bytes; every other
# check (host name, validity) stays Erlang's.
[{:Certificate, local_der, _}] = :public_key.pem_decode(File.read!(env["KRAFTER_CA"]))
trust_local = fn
  cert, {:bad_cert, :selfsigned_peer} = reason, state ->
    if :public_key.pkix_encode(:OTPCertificate, cert, :otp) == local_der, do: {:valid, state}, else: {:fail, reason}
  _cert, {:bad_cert, _} = reason, _state -> {:fail, reason}
  _cert, {:extension, _}, state -> {:unknown, state}
  _cert, _valid, state -> {:valid, state}
end
{:ok, trace} = Agent.start_link(fn -> [] end)
# Keeps the replies gen_smtp traces as refused ("... rejected ...") from its arguments, unformatted.
record = fn format, args ->
  if String.contains?(to_string(format), "rejected") do
    for arg <- args, reply = (case arg do {:ok, bin} -> bin; bin -> bin end), is_binary(reply),
        Regex.match?(~r/^[45]\d\d /, reply) do
      Agent.update(trace, &[String.trim(reply) | &1])
    end
  end
end

config = [
  relay: "localhost",
  port: String.to_integer(env["KRAFTER_PORT"]),
  username: Map.get(env, "KRAFTER_USER", "apikey"),
  password: env["KRAFTER_API_KEY"],
  ssl: true,
  tls: :never,
  auth: :always,
  retries: 0,
  sockopts: [verify: :verify_peer, cacertfile: String.to_charlist(env["KRAFTER_CA"]), verify_fun: {trust_local, []}],
  trace_fun: record
]

kase = env["KRAFTER_CASE"]
text = "This email was sent via Krafter Mail SMTP relay."
email =
  new()
  |> from("hello@yourdomain.com")
  |> to("recipient@example.com")
  |> subject("#{kase} #{env["KRAFTER_TOKEN"]}")

email =
  case kase do
    "html" ->
      email
      |> text_body("Welcome! Sent via SMTP relay.")
      |> html_body("<h1>Welcome!</h1><p>Sent via SMTP relay.</p>")
      |> attachment(env["KRAFTER_ATTACHMENT"])

    "broadcast" ->
      email |> text_body(text) |> header("X-Krafter-Stream", "broadcast") |> header("X-Krafter-Tracking-Enabled", "false")

    "bad-stream" ->
      email |> text_body(text) |> header("X-Krafter-Stream", "promo")

    _ ->
      text_body(email, text)
  end

case Swoosh.Adapters.SMTP.deliver(email, config) do
  {:ok, receipt} ->
    IO.puts("OK 250 " <> String.trim(receipt))

  {:error, reason} ->
    # The last reply the relay refused AUTH with, where gen_smtp traced one.
    rejected = List.first(Agent.get(trace, & &1))

    IO.puts("FAIL #{inspect(reason)}" <> if(rejected, do: " (relay: #{rejected})", else: ""))
    System.halt(1)
end
