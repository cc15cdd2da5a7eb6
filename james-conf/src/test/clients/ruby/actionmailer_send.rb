# Rails' ActionMailer (Debian's ruby-actionmailer) with the product page's smtp_settings
# (ssl: true = implicit TLS, authentication: :plain); host localhost, the test's port, and ca_file
# trusting the relay's self-signed certificate. Environment: see ../README.md.
require "action_mailer"

ActionMailer::Base.delivery_method = :smtp
ActionMailer::Base.raise_delivery_errors = true
ActionMailer::Base.smtp_settings = {
  address: "localhost",
  port: Integer(ENV.fetch("KRAFTER_PORT")),
  user_name: ENV.fetch("KRAFTER_USER", "apikey"),
  password: ENV.fetch("KRAFTER_API_KEY"),
  authentication: :plain,
  ssl: true,
  ca_file: ENV.fetch("KRAFTER_CA"),
}

class RelayMailer < ActionMailer::Base
  default from: "hello@yourdomain.com"

  def welcome(kase, token, attachment)
    subject = "#{kase} #{token}"
    case kase
    when "html"
      attachments[File.basename(attachment)] = File.binread(attachment)
      return mail(to: "recipient@example.com", subject: subject) do |format|
        format.text { render plain: "Welcome! Sent via SMTP relay." }
        format.html { render html: "<h1>Welcome!</h1><p>Sent via SMTP relay.</p>".html_safe }
      end
    when "broadcast"
      headers["X-Krafter-Stream"] = "broadcast"
      headers["X-Krafter-Tracking-Enabled"] = "false"
    when "bad-stream"
      headers["X-Krafter-Stream"] = "promo"
    when "plain"
    else
      raise ArgumentError, "unknown case #{kase}"
    end
    mail(to: "recipient@example.com", subject: subject, body: "This email was sent via Krafter Mail SMTP relay.")
  end
end

begin
  message = RelayMailer.welcome(ENV.fetch("KRAFTER_CASE"), ENV.fetch("KRAFTER_TOKEN"), ENV["KRAFTER_ATTACHMENT"]).deliver_now
rescue Net::SMTPError, OpenSSL::SSL::SSLError, SystemCallError => e
  puts "FAIL #{e.class}: #{e.message.strip.gsub(/\s*\n\s*/, " ")}"
  exit 1
end
puts "OK deliver_now sent #{message.message_id}"
