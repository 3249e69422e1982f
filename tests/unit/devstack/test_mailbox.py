"""The local mailbox decodes what the stack sends (quoted-printable MIME) and lists its
links on their own, newest first (scripts/devstack/mailbox.py, scripts/mail)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from admitone.adapters.mail import _mime
from admitone.domain import messages
from scripts import mailbox_cli
from scripts.devstack.mailbox import (
    SentMail,
    addressed_to,
    from_raw,
    from_simple,
    hrefs_in,
    links_in,
    newest_first,
)

# Long enough that quoted-printable breaks it across lines with soft line breaks, and
# with "=" in it, which quoted-printable writes as "=3D".
VERIFY_URL = "https://app.admitone.example/verify-email?token=" + "A1b2C3=d4" * 12


def stack_mail(to: str = "ada@example.com", url: str = VERIFY_URL) -> SentMail:
    """A verification mail exactly as the stack hands it to SES, read back."""
    raw = _mime(messages.verify_email(to, "Ada", url), sender="no-reply@admitone.local")
    assert b"=\r\n" in raw
    assert b"=3D" in raw
    return from_raw("m-1", "no-reply@admitone.local", [to, to], raw.decode("ascii"))


def mail(message_id: str, date: datetime | None, to: str = "ada@example.com") -> SentMail:
    return SentMail(message_id, "no-reply@x", (to,), message_id, "body", None, date=date)


def test_a_quoted_printable_mail_reads_as_written_with_its_link_whole():
    read = stack_mail()

    assert read.to == ("ada@example.com",)
    assert read.subject == "Confirm your e-mail address"
    assert read.text is not None
    assert VERIFY_URL in read.text
    assert "=\n" not in read.text
    assert "=3D" not in read.text
    assert read.links == (VERIFY_URL,)
    assert read.date is not None
    assert read.date.tzinfo is not None


def test_links_leave_the_sentence_punctuation_and_repeats_out():
    text = (
        "Open https://a.example/x?t=1. Or (https://b.example/y), then https://a.example/x?t=1"
        " again; ftp://c.example/z is not one, nor is https://"
    )

    assert links_in(text) == ("https://a.example/x?t=1", "https://b.example/y")


def test_an_html_only_mail_lists_its_hrefs():
    html = '<p><a href="https://a.example/1">one</a> <a href="/relative">two</a></p>'
    read = from_simple("m", "s@x", "Hi", html, {"ToAddresses": ["ada@example.com"]})

    assert read.text is None
    assert read.links == ("https://a.example/1",)
    assert hrefs_in(html) == ("https://a.example/1",)


def test_newest_first_by_date_then_by_sending_order_and_undated_last():
    noon = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    later = datetime(2026, 12, 4, 12, 5, tzinfo=UTC)
    sent = [mail("undated", None), mail("a", noon), mail("late", later), mail("b", noon)]

    assert [m.message_id for m in newest_first(sent)] == ["late", "b", "a", "undated"]


def test_the_to_filter_ignores_case_and_other_recipients():
    sent = [mail("1", None, "Ada@Example.com"), mail("2", None, "bob@example.com")]

    assert [m.message_id for m in addressed_to(sent, "ada@example.COM")] == ["1"]


def test_the_mailbox_prints_the_newest_matching_mails_with_their_links():
    older = stack_mail(url="https://app.admitone.example/verify-email?token=old")
    newer = stack_mail()
    other = stack_mail(to="bob@example.com")
    out = io.StringIO()

    mailbox_cli.show(lambda: [older, newer, other], "ada@example.com", 1, out)

    printed = out.getvalue()
    assert "To:      ada@example.com" in printed
    assert "Subject: Confirm your e-mail address" in printed
    assert f"Links:\n  {VERIFY_URL}" in printed
    assert "token=old" not in printed
    assert "bob@example.com" not in printed


def test_an_empty_mailbox_says_so():
    out = io.StringIO()

    mailbox_cli.show(list, "nobody@example.com", None, out)

    assert out.getvalue() == "No mail to nobody@example.com yet.\n"


def test_following_prints_each_new_mail_once_until_interrupted():
    first, second = mail("1", None), mail("2", None)
    snapshots = iter([[first], [first, second], [first, second]])
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) > 3:
            raise KeyboardInterrupt

    out = io.StringIO()
    seen = mailbox_cli.show(lambda: [], None, None, io.StringIO())
    with pytest.raises(KeyboardInterrupt):
        mailbox_cli.follow(lambda: next(snapshots), None, seen, out, sleep=nap)

    assert out.getvalue().count("Subject: 1") == 1
    assert out.getvalue().count("Subject: 2") == 1


def test_a_reader_that_stops_early_ends_the_tool_quietly() -> None:
    """``scripts/mail | head -1``: the rest of the output has nowhere to go, which is no
    failure and no traceback."""
    talkative = (
        "import sys\n"
        "from scripts.devstack.failures import main\n"
        "def run():\n"
        "    for _ in range(10_000):\n"
        "        print('a mail ' * 20)\n"
        "    return 0\n"
        "sys.exit(main('scripts/mail', run))\n"
    )
    piped = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -c "$TOOL" | head -1; exit "${{PIPESTATUS[0]}}"'],
        env={**os.environ, "TOOL": talkative},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert piped.stdout.startswith("a mail")
    assert "Traceback" not in piped.stderr, piped.stderr
    assert "BrokenPipe" not in piped.stderr, piped.stderr
    assert piped.returncode == 0
