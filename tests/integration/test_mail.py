"""E-mail through SES on moto: both bodies arrive as sent, failures become domain errors."""

from __future__ import annotations

import email
from collections.abc import Callable, Iterator
from email.policy import default as default_policy
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from admitone.adapters.aws import client
from admitone.adapters.mail import send_email
from admitone.config import settings
from admitone.domain.errors import DependencyUnavailable, EmailRejected
from admitone.domain.messages import (
    EmailMessage,
    account_already_exists,
    app_link,
    password_changed,
    password_reset,
    verify_email,
)
from scripts.devstack.provision import Provisioner
from scripts.devstack.template import REGION, Stack
from tests.conftest import ROOT, new_container
from tests.integration.conftest import AwsStack
from tests.local_servers import serving
from tests.mailbox import find_link, sent_in_process, sent_on_server

TO = "zoe@example.com"
TOKEN = "tok_Zq8-SECRET_3xW"  # a sample link token

# Every message, with its links built from the app's base URL.
MESSAGES: dict[str, Callable[[str], EmailMessage]] = {
    "verify_email": lambda base: verify_email(
        TO, "Zoë Ångström", app_link(base, "/verify-email", token=TOKEN)
    ),
    "account_already_exists": lambda base: account_already_exists(
        TO, "Zoë", app_link(base, "/login"), app_link(base, "/reset-password", token=TOKEN)
    ),
    "password_reset": lambda base: password_reset(
        TO, "Zoë", app_link(base, "/reset-password", token=TOKEN), 30
    ),
    "password_changed": lambda base: password_changed(TO, "Zoë"),
}


@pytest.fixture
def mail(aws: AwsStack) -> AwsStack:
    """The stack, with this process dressed as a function (MAIL_FROM, APP_BASE_URL, ...)."""
    aws.use_function("HealthFunction")
    return aws


def a_message() -> EmailMessage:
    return password_changed(TO, "Zoë")


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_each_message_arrives_as_sent_with_both_bodies(mail: AwsStack, kind: str) -> None:
    message = MESSAGES[kind](settings().app_base_url)

    message_id = send_email(message)

    [sent] = sent_in_process()
    assert sent.message_id == message_id
    assert sent.sender == settings().mail_from
    assert sent.to == (TO,)
    assert sent.subject == message.subject
    assert sent.text == message.text
    assert sent.html == message.html


def test_a_link_read_back_from_the_mail_carries_the_token(mail: AwsStack) -> None:
    send_email(MESSAGES["verify_email"](settings().app_base_url))

    [sent] = sent_in_process()
    link = find_link(sent, r"/verify-email\?")

    assert link.startswith(f"{settings().app_base_url}/verify-email?")
    assert parse_qs(urlsplit(link).query) == {"token": [TOKEN]}
    assert link in (sent.html or "")


def test_the_mail_is_multipart_alternative_in_utf8_with_the_html_part_preferred(
    mail: AwsStack,
) -> None:
    send_email(MESSAGES["verify_email"](settings().app_base_url))

    raw = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages[0].raw_data
    mime = email.message_from_string(raw, policy=default_policy)
    assert mime.get_content_type() == "multipart/alternative"
    parts = [(part.get_content_type(), part.get_content_charset()) for part in mime.iter_parts()]
    assert parts == [("text/plain", "utf-8"), ("text/html", "utf-8")]
    assert mime["From"] == settings().mail_from
    assert mime["To"] == TO
    assert mime["Date"]


def test_non_ascii_subjects_and_long_lines_survive_the_trip(mail: AwsStack) -> None:
    long_line = "Grüße aus Köln — " * 20
    message = EmailMessage(
        to=TO,
        subject="Ihre Tickets für „Zauberflöte“",
        text=f"{long_line}\n",
        html=f"<p>{long_line}</p>\n",
    )

    send_email(message)

    [sent] = sent_in_process()
    assert (sent.subject, sent.text, sent.html) == (message.subject, message.text, message.html)


def test_the_log_names_the_message_but_not_the_address(
    mail: AwsStack, caplog: pytest.LogCaptureFixture
) -> None:
    message_id = send_email(a_message())

    [record] = [r for r in caplog.records if r.getMessage() == "e-mail sent"]
    assert record.ses_message_id == message_id  # type: ignore[attr-defined]
    assert record.recipient_domain == "example.com"  # type: ignore[attr-defined]
    assert TO not in str(vars(record))


def test_an_unverified_sender_is_rejected_without_quoting_an_address(mail: AwsStack) -> None:
    mail.client("ses").delete_identity(Identity=settings().mail_from.rpartition("@")[2])

    with pytest.raises(EmailRejected) as caught:
        send_email(a_message())

    assert caught.value.reason == "MessageRejected"
    assert caught.value.code == "EMAIL_REJECTED"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert "@" not in str(caught.value)
    assert sent_in_process() == []


@pytest.fixture
def ses_stub(mail: AwsStack) -> Iterator[Stubber]:
    """The adapter's own SES client, answering with whatever the test queues."""
    with Stubber(client("ses")) as stub:
        yield stub


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("MessageRejected", 400),
        ("MailFromDomainNotVerifiedException", 400),
        ("InvalidParameterValue", 400),
    ],
)
def test_an_address_ses_refuses_is_rejected_without_quoting_it(
    ses_stub: Stubber, code: str, status: int
) -> None:
    ses_stub.add_client_error(
        "send_raw_email",
        service_error_code=code,
        service_message=f"Email address is not verified: {TO}",
        http_status_code=status,
    )

    with pytest.raises(EmailRejected) as caught:
        send_email(a_message())

    assert caught.value.reason == code
    assert caught.value.__cause__ is None
    assert TO not in str(caught.value)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("Throttling", 400),
        ("ThrottlingException", 400),
        ("AccountSendingPausedException", 400),
        ("ServiceUnavailable", 503),
        ("InternalFailure", 500),
    ],
)
def test_ses_throttling_or_failing_is_a_dependency_outage(
    ses_stub: Stubber, code: str, status: int
) -> None:
    ses_stub.add_client_error(
        "send_raw_email",
        service_error_code=code,
        service_message="Maximum sending rate exceeded.",
        http_status_code=status,
    )

    with pytest.raises(DependencyUnavailable) as caught:
        send_email(a_message())

    assert isinstance(caught.value.__cause__, ClientError)
    assert caught.value.code == "DEPENDENCY_UNAVAILABLE"


def test_an_unexpected_ses_error_is_not_disguised(ses_stub: Stubber) -> None:
    ses_stub.add_client_error(
        "send_raw_email", service_error_code="ConfigurationSetDoesNotExist", http_status_code=400
    )

    with pytest.raises(ClientError, match="ConfigurationSetDoesNotExist"):
        send_email(a_message())


@pytest.mark.parametrize(
    "failure",
    [
        EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com/"),
        ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com/"),
    ],
    ids=["unreachable", "read-timeout"],
)
def test_an_unreachable_ses_is_a_dependency_outage(
    mail: AwsStack, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    # botocore retries these; skip its back-off sleeps.
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda *_: 0)
    attempts: list[str] = []

    def fail(**_: Any) -> None:
        attempts.append("send")
        raise failure

    client("ses").meta.events.register_first("before-send.ses.SendRawEmail", fail)

    with pytest.raises(DependencyUnavailable) as caught:
        send_email(a_message())

    assert caught.value.__cause__ is failure
    assert len(attempts) >= 1
    assert sent_in_process() == []


# ------------------------------------------------------------------ the mailbox itself
def test_the_mailbox_reads_send_email_messages_too_and_says_which_body_moto_kept(
    mail: AwsStack,
) -> None:
    ses = mail.client("ses")
    sender = settings().mail_from
    for body in (
        {"Text": {"Data": "text only"}},
        {"Text": {"Data": "t"}, "Html": {"Data": "<p>h</p>"}},
    ):
        ses.send_email(
            Source=sender,
            Destination={"ToAddresses": [TO], "CcAddresses": ["cc@example.com"]},
            Message={"Subject": {"Data": "s"}, "Body": body},
        )

    text_only, both = sent_in_process()

    assert (text_only.to, text_only.text, text_only.html) == (
        (TO, "cc@example.com"),
        "text only",
        None,
    )
    # moto keeps one body of a SendEmail (the HTML): why the adapter sends raw MIME.
    assert (both.text, both.html) == (None, "<p>h</p>")


def test_find_link_insists_on_exactly_one_matching_link(mail: AwsStack) -> None:
    base = settings().app_base_url
    send_email(MESSAGES["account_already_exists"](base))
    [sent] = sent_in_process()

    assert find_link(sent, r"/login$") == f"{base}/login"
    with pytest.raises(AssertionError, match="found"):
        find_link(sent, r"^https://")
    with pytest.raises(AssertionError, match="found"):
        find_link(sent, r"/nowhere")


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with serving("-m", "moto.server", "-H", "127.0.0.1", "-p") as url:
        yield url


def test_mail_sent_to_a_moto_server_reads_back_from_its_data_json(
    moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = Stack.load(ROOT, ROOT / "template.yaml", {"Stage": "test"})
    for key, value in stack.function("HealthFunction").environment.items():
        monkeypatch.setenv(key, value)
    for key, value in {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    new_container()
    try:
        ses = Provisioner(stack, endpoint_url=moto_url).client("ses")
        ses.verify_domain_identity(Domain=stack.parameters["MailFromDomain"])
        message = MESSAGES["password_reset"](settings().app_base_url)

        message_id = send_email(message)
        ses.send_email(
            Source=settings().mail_from,
            Destination={"ToAddresses": [TO]},
            Message={"Subject": {"Data": "plain"}, "Body": {"Text": {"Data": "hello"}}},
        )

        simple, raw = sent_on_server(moto_url)
    finally:
        new_container()

    assert (raw.message_id, raw.to, raw.subject) == (message_id, (TO,), message.subject)
    assert (raw.text, raw.html) == (message.text, message.html)
    assert find_link(raw, r"/reset-password\?token=").endswith(f"token={TOKEN}")
    assert (simple.subject, simple.text, simple.html) == ("plain", "hello", None)
