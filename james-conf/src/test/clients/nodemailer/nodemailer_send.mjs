// Nodemailer as on the product page (secure: true = implicit TLS, auth.user "apikey"), with
// localhost, the test's port, and the relay's self-signed certificate as the trusted CA.
// Environment: see ../README.md.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import nodemailer from "nodemailer";

const env = process.env;

const transporter = nodemailer.createTransport({
  host: "localhost",
  port: Number(env.KRAFTER_PORT),
  secure: true, // implicit TLS
  auth: {
    user: env.KRAFTER_USER ?? "apikey",
    pass: env.KRAFTER_API_KEY,
  },
  tls: { ca: readFileSync(env.KRAFTER_CA) },
});

const message = {
  from: "hello@yourdomain.com",
  to: "recipient@example.com",
  subject: `${env.KRAFTER_CASE} ${env.KRAFTER_TOKEN}`,
  text: "This email was sent via Krafter Mail SMTP relay.",
};
switch (env.KRAFTER_CASE) {
  case "plain":
    break;
  case "html":
    message.text = "Welcome! Sent via SMTP relay.";
    message.html = "<h1>Welcome!</h1><p>Sent via SMTP relay.</p>";
    message.attachments = [{ filename: basename(env.KRAFTER_ATTACHMENT), path: env.KRAFTER_ATTACHMENT }];
    break;
  case "broadcast":
    message.headers = { "X-Krafter-Stream": "broadcast", "X-Krafter-Tracking-Enabled": "false" };
    break;
  case "bad-stream":
    message.headers = { "X-Krafter-Stream": "promo" };
    break;
  default:
    throw new Error(`unknown case ${env.KRAFTER_CASE}`);
}

try {
  const info = await transporter.sendMail(message);
  console.log(`OK ${info.response}`);
} catch (error) {
  console.log(`FAIL ${error.message.replace(/\s*\n\s*/g, " ")}`);
  process.exitCode = 1;
}
