<?php
// Laravel's mailer is Symfony Mailer: MAIL_ENCRYPTION=ssl on port 465 means the smtps:// DSN
// (implicit TLS). Debian's php-symfony-mailer; the relay's certificate is trusted through PHP's
// openssl.cafile (run with: php -d openssl.cafile=var/tls/cert.pem). Environment: see ../README.md.
require_once '/usr/share/php/Symfony/Component/Mailer/autoload.php';
require_once '/usr/share/php/Symfony/Component/Mime/autoload.php';

use Symfony\Component\Mailer\Exception\TransportExceptionInterface;
use Symfony\Component\Mailer\Transport;
use Symfony\Component\Mime\Email;

$case = getenv('KRAFTER_CASE');
$transport = Transport::fromDsn(sprintf('smtps://%s:%s@localhost:%d', rawurlencode(getenv('KRAFTER_USER') ?: 'apikey'),
    rawurlencode(getenv('KRAFTER_API_KEY')), getenv('KRAFTER_PORT')));

$email = (new Email())
    ->from('hello@yourdomain.com')
    ->to('recipient@example.com')
    ->subject($case . ' ' . getenv('KRAFTER_TOKEN'))
    ->text('This email was sent via Krafter Mail SMTP relay.');
switch ($case) {
    case 'plain':
        break;
    case 'html':
        $email->text('Welcome! Sent via SMTP relay.')
            ->html('<h1>Welcome!</h1><p>Sent via SMTP relay.</p>')
            ->attachFromPath(getenv('KRAFTER_ATTACHMENT'));
        break;
    case 'broadcast':
        $email->getHeaders()->addTextHeader('X-Krafter-Stream', 'broadcast')
            ->addTextHeader('X-Krafter-Tracking-Enabled', 'false');
        break;
    case 'bad-stream':
        $email->getHeaders()->addTextHeader('X-Krafter-Stream', 'promo');
        break;
    default:
        exit("FAIL unknown case $case\n");
}

try {
    $sent = $transport->send($email);
} catch (TransportExceptionInterface $e) {
    echo 'FAIL ', preg_replace('/\s*\n\s*/', ' ', $e->getMessage()), "\n";
    exit(1);
}
// The transcript ends with the server's reply to the message data.
preg_match_all('/^< (250 .*)$/m', $sent->getDebug(), $replies);
echo 'OK ', trim(end($replies[1])), "\n";
