"""Transactional e-mail through SES: one MIME message with a plain-text and an HTML part.

It goes out with ``SendRawEmail`` rather than ``SendEmail``: real SES delivers the
same multipart/alternative either way, but moto keeps only one body of a
``SendEmail`` (the HTML), so local tests could not read the text part; and later
messages (tickets) need attachments, which only the raw form can carry.
"""

from __future__ import annotations

from email.message import EmailMessage as MimeMessage
from email.policy import SMTP
from email.utils import formatdate

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as EndpointUnreachable

from admitone.adapters.aws import client
from admitone.config import settings
from admitone.domain.errors import DependencyUnavailable, EmailRejected
from admitone.domain.messages import EmailMessage
from admitone.observability import logger
from admitone.ports.mail import Mail

# SES refuses this message for good: an unverified sender (or, in the SES sandbox,
# recipient), a MAIL FROM domain without its MX record, an address it cannot use.
_REJECTED = frozenset(
    {"MessageRejected", "MailFromDomainNotVerifiedException", "InvalidParameterValue"}
)
# SES cannot send now but may later: rate or daily quota reached, sending paused.
_UNAVAILABLE = frozenset({"Throttling", "ThrottlingException", "AccountSendingPausedException"})


def send_email(message: EmailMessage) -> str:
    """Send ``message`` from ``MAIL_FROM``; returns the SES MessageId.

    Raises ``DependencyUnavailable`` when SES throttles, fails or cannot be reached (the
    caller may retry later) and ``EmailRejected`` when SES refuses this message
    (retrying will not help).
    """
    sender = settings().mail_from
    try:
        response = client("ses").send_raw_email(
            Source=sender,
            # Explicit, so that SES delivers to exactly this address whatever the headers say.
            Destinations=[message.to],
            RawMessage={"Data": _mime(message, sender=sender)},
        )
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if code in _REJECTED:
            # from None: SES's message quotes the addresses it refused.
            raise EmailRejected(code) from None
        if code in _UNAVAILABLE or status >= 500:
            raise DependencyUnavailable("The e-mail service is unavailable.") from exc
        raise
    except (EndpointUnreachable, HTTPClientError) as exc:
        raise DependencyUnavailable("The e-mail service is unavailable.") from exc
    message_id = str(response["MessageId"])
    logger.info(
        "e-mail sent",
        ses_message_id=message_id,
        recipient_domain=message.to.rpartition("@")[2],
    )
    return message_id


def _mime(message: EmailMessage, *, sender: str) -> bytes:
    """``message`` as a multipart/alternative MIME document, text part first (RFC 2046:
    the last part is the preferred one), UTF-8, quoted-printable, CRLF line ends. Inline
    images join the HTML part as multipart/related, each under its Content-ID."""
    mime = MimeMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(usegmt=True)
    mime.set_content(message.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    mime.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    if message.images:
        html = next(part for part in mime.iter_parts() if part.get_content_subtype() == "html")
        for image in message.images:
            html.add_related(
                image.png,
                maintype="image",
                subtype="png",
                cid=f"<{image.cid}>",
                disposition="inline",
                filename=f"{image.cid.partition('@')[0]}.png",
            )
    return mime.as_bytes(policy=SMTP)


class SesMail(Mail):
    def send(self, message: EmailMessage) -> str:
        return send_email(message)
