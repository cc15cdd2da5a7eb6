<?php
// PHPMailer (what WordPress and WP Mail SMTP use) with SMTPSecure = 'ssl' (implicit TLS), from
// Debian's libphp-phpmailer; the relay's certificate is trusted through PHP's openssl.cafile (run
// with: php -d openssl.cafile=var/tls/cert.pem). Environment: see ../README.md.
require_once '/usr/share/php/libphp-phpmailer/autoload.php';

use PHPMailer\PHPMailer\Exception;
use PHPMailer\PHPMailer\PHPMailer;
use PHPMailer\PHPMailer\SMTP;

$case = getenv('KRAFTER_CASE');
$mail = new PHPMailer(true); // throw on errors
$mail->isSMTP();
$mail->Host = 'localhost';
$mail->Port = (int) getenv('KRAFTER_PORT');
$mail->SMTPSecure = 'ssl'; // PHPMailer::ENCRYPTION_SMTPS, implicit TLS
$mail->SMTPAuth = true;
$mail->Username = getenv('KRAFTER_USER') ?: 'apikey';
$mail->Password = getenv('KRAFTER_API_KEY');
// Only to show the relay's reply and, on failure, why: collect PHPMailer's transcript.
$transcript = [];
$mail->SMTPDebug = SMTP::DEBUG_CONNECTION;
$mail->Debugoutput = function ($line) use (&$transcript) { $transcript[] = rtrim($line); };

$mail->setFrom('hello@yourdomain.com');
$mail->addAddress('recipient@example.com');
$mail->Subject = $case . ' ' . getenv('KRAFTER_TOKEN');
$mail->Body = 'This email was sent via Krafter Mail SMTP relay.';
switch ($case) {
    case 'plain':
        break;
    case 'html':
        $mail->isHTML(true);
        $mail->Body = '<h1>Welcome!</h1><p>Sent via SMTP relay.</p>';
        $mail->AltBody = 'Welcome! Sent via SMTP relay.';
        $mail->addAttachment(getenv('KRAFTER_ATTACHMENT'));
        break;
    case 'broadcast':
        $mail->addCustomHeader('X-Krafter-Stream', 'broadcast');
        $mail->addCustomHeader('X-Krafter-Tracking-Enabled', 'false');
        break;
    case 'bad-stream':
        $mail->addCustomHeader('X-Krafter-Stream', 'promo');
        break;
    default:
        exit("FAIL unknown case $case\n");
}

try {
    $mail->send();
} catch (Exception $e) {
    echo implode("\n", $transcript), "\n";
    // PHPMailer's own message for a refused AUTH is only "Could not authenticate."; the relay's
    // reply is in the debug transcript (what WP Mail SMTP's email test shows).
    $refusals = preg_grep('/^SERVER -> CLIENT: [45]\d\d /', $transcript);
    $relay = $refusals ? ' (relay: ' . substr(end($refusals), strlen('SERVER -> CLIENT: ')) . ')' : '';
    echo 'FAIL ', preg_replace('/\s*\n\s*/', ' ', $mail->ErrorInfo), $relay, "\n";
    exit(1);
}
// The server's replies: ... 354 (go ahead), then the reply to the message data.
$server = array_values(preg_grep('/^SERVER -> CLIENT: /', $transcript));
$data = array_search('SERVER -> CLIENT: 354', array_map(fn($l) => substr($l, 0, 21), $server));
echo 'OK ', substr($server[$data + 1], strlen('SERVER -> CLIENT: ')), "\n";
