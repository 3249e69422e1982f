"""Transactional e-mails: both bodies, escaping, absolute links, tokens only in links."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admitone.domain.messages import (
    BRAND,
    LISTING_END_REASONS,
    NAME_MAX_LENGTH,
    EmailMessage,
    HoldEnd,
    InlineImage,
    ReceiptLine,
    TicketEntry,
    WithheldTicket,
    account_already_exists,
    app_link,
    event_reminder,
    listing_ended,
    listing_sold,
    login_attempts,
    order_confirmation,
    order_ended,
    password_changed,
    password_reset,
    refund_confirmation,
    refund_failed,
    registration_invite,
    reset_without_account,
    ticket_delivery,
    ticket_sent,
    verify_email,
)
from admitone.domain.tickets import QrWithheld

TO = "ada@example.com"
BASE = "https://app.admitone.example"
TOKEN = "tok_Zq8-SECRET_3xW"  # to be found only inside links
VERIFY_URL = app_link(BASE, "/verify-email", token=TOKEN)
LOGIN_URL = app_link(BASE, "/login")
RESET_URL = app_link(BASE, "/reset-password", token=TOKEN)
REGISTER_URL = app_link(BASE, "/registrations", token=TOKEN)

TICKETS = (
    TicketEntry("TKT-AAAA2222BBBB", "GA", "a@t"),
    TicketEntry("TKT-CCCC3333DDDD", "VIP", "c@t"),
)
IMAGES = (InlineImage("a@t", b"png-a"), InlineImage("c@t", b"png-c"))
RECEIPT = (ReceiptLine("Subtotal", "$100.00"), ReceiptLine("TN sales tax (9.25 %)", "$9.25"))
TOTAL = ReceiptLine("Total", "$113.25")


def confirmation(
    name: str, *, title: str = "Bluegrass night", images: tuple[InlineImage, ...] = IMAGES
) -> EmailMessage:
    return order_confirmation(
        TO,
        name,
        event_title=title,
        starts_local="Saturday 05 December 2026, 20:00 (America/Chicago)",
        order_number="A1-2026-000042",
        tickets=TICKETS,
        receipt=RECEIPT,
        total=TOTAL,
        images=images,
    )


Render = Callable[[str], EmailMessage]
# Every message, rendered for a recipient called ``name``; new messages join this table.
MESSAGES: dict[str, Render] = {
    "verify_email": lambda name: verify_email(TO, name, VERIFY_URL),
    "account_already_exists": lambda name: account_already_exists(TO, name, LOGIN_URL, RESET_URL),
    "password_reset": lambda name: password_reset(TO, name, RESET_URL, 30),
    "password_changed": lambda name: password_changed(TO, name),
    "order_confirmation": confirmation,
    "registration_invite": lambda name: registration_invite(
        TO, name, event_title="Gala", deadline_local="Monday 30 November", register_url=REGISTER_URL
    ),
    "ticket_delivery": lambda name: ticket_delivery(
        TO, name, event_title="Gala", starts_local="tonight", ticket=TICKETS[0], image=IMAGES[0]
    ),
    "ticket_sent": lambda name: ticket_sent(TO, name, event_title="Gala", code="TKT-AAAA2222BBBB"),
    "event_reminder": lambda name: event_reminder(
        TO, name, event_title="Gala", starts_local="tomorrow 20:00", tickets=2
    ),
    "registration_reminder": lambda name: registration_invite(
        TO,
        name,
        event_title="Gala",
        deadline_local="Monday",
        register_url=REGISTER_URL,
        reminder=True,
    ),
    "order_ended": lambda name: order_ended(
        TO, name, event_title="Gala", order_number="A1-2026-000042", why=HoldEnd.EXPIRED
    ),
    "refund_confirmation": lambda name: refund_confirmation(
        TO, name, event_title="Gala", order_number="A1-2026-000042", amount="$113.25"
    ),
    "refund_failed": lambda name: refund_failed(
        TO, name, event_title="Gala", order_number="A1-2026-000042", amount="$113.25"
    ),
    "login_attempts": lambda name: login_attempts(TO, name, 5),
    "listing_sold": lambda name: listing_sold(TO, name, event_title="Gala", price="$150.00"),
    "listing_ended": lambda name: listing_ended(
        TO, name, event_title="Gala", reason="ticket_scanned"
    ),
}
LINKS: dict[str, tuple[str, ...]] = {
    "verify_email": (VERIFY_URL,),
    "account_already_exists": (LOGIN_URL, RESET_URL),
    "password_reset": (RESET_URL,),
    "password_changed": (),
    "order_confirmation": (),
    "registration_invite": (REGISTER_URL,),
    "ticket_delivery": (),
    "ticket_sent": (),
    "event_reminder": (),
    "registration_reminder": (REGISTER_URL,),
    "order_ended": (),
    "refund_confirmation": (),
    "refund_failed": (),
    "login_attempts": (),
    "listing_sold": (),
    "listing_ended": (),
}
ALL = pytest.mark.parametrize("kind", sorted(MESSAGES))


def tags(html: str) -> list[str]:
    return re.findall(r"<[^>]*>", html)


@ALL
def test_every_message_has_a_subject_a_text_body_and_an_html_body(kind: str) -> None:
    message = MESSAGES[kind]("Ada")

    assert message.to == TO
    assert message.subject
    assert "\n" not in message.subject
    assert message.text.strip()
    assert message.html.strip()
    assert not tags(message.text)


@ALL
def test_the_html_body_is_one_branded_accessible_document(kind: str) -> None:
    html = MESSAGES[kind]("Ada").html

    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert html.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in html
    assert f"<title>{escape(MESSAGES[kind]('Ada').subject)}</title>" in html
    assert len(re.findall(r"<h1\b", html)) == 1
    assert f">{BRAND}</p>" in html
    assert "<style" not in html  # inline styles only: many clients drop <style>


@ALL
def test_both_bodies_greet_the_recipient_and_carry_the_brand(kind: str) -> None:
    message = MESSAGES[kind]("Ada Lovelace")

    assert "Hi Ada Lovelace," in message.text
    assert "Hi Ada Lovelace," in message.html
    assert BRAND in message.text


@ALL
def test_both_bodies_end_with_a_newline(kind: str) -> None:
    message = MESSAGES[kind]("Ada")

    assert message.text.endswith("\n")
    assert message.html.endswith("\n")


@ALL
def test_a_name_is_html_escaped_in_the_html_body_and_kept_in_the_text_body(kind: str) -> None:
    message = MESSAGES[kind]('<script>alert("x")</script> & co')

    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in message.html
    assert "<script" not in message.html
    assert '<script>alert("x")</script> & co' in message.text


@ALL
@given(name=st.text(max_size=80))
def test_no_name_changes_the_markup_of_the_html_body(kind: str, name: str) -> None:
    assert tags(MESSAGES[kind](name).html) == tags(MESSAGES[kind]("Ada").html)


@ALL
def test_every_link_is_in_both_bodies_as_an_absolute_url(kind: str) -> None:
    message = MESSAGES[kind]("Ada")

    for url in LINKS[kind]:
        assert url.startswith(f"{BASE}/")
        assert f"\n{url}\n" in message.text
        assert message.html.count(f'href="{escape(url)}"') == 2  # the button and the text link
        assert f">{escape(url)}</a>" in message.html
    assert set(re.findall(r'href="([^"]*)"', message.html)) == {escape(u) for u in LINKS[kind]}


@ALL
def test_a_token_appears_only_inside_its_link(kind: str) -> None:
    message = MESSAGES[kind]("Ada")

    text, html = message.text, message.html
    for url in LINKS[kind]:
        text = text.replace(url, "")
        html = html.replace(escape(url), "")
    assert TOKEN not in text
    assert TOKEN not in html
    assert TOKEN not in message.subject


def test_link_urls_are_html_escaped_in_attributes_and_text() -> None:
    url = 'https://app.admitone.example/verify?token=a&next="><script>x</script>'

    message = verify_email(TO, "Ada", url)

    assert (
        'href="https://app.admitone.example/verify?token=a&amp;next=&quot;&gt;&lt;script&gt;'
        in (message.html)
    )
    assert "<script" not in message.html
    assert url in message.text


def test_account_already_exists_offers_sign_in_then_reset_in_that_order() -> None:
    message = account_already_exists(TO, "Ada", LOGIN_URL, RESET_URL)

    assert message.text.index(LOGIN_URL) < message.text.index(RESET_URL)
    assert "Sign in:" in message.text
    assert "Reset password:" in message.text


def test_password_reset_says_how_long_the_link_is_valid() -> None:
    assert "expires in 30 minutes." in password_reset(TO, "Ada", RESET_URL, 30).text


@pytest.mark.parametrize(
    ("minutes", "said"),
    [(1, "1 minute"), (45, "45 minutes"), (60, "1 hour"), (90, "90 minutes"), (120, "2 hours")],
)
def test_the_validity_reads_in_minutes_or_whole_hours(minutes: int, said: str) -> None:
    message = password_reset(TO, "Ada", RESET_URL, minutes)

    assert f"The link expires in {said}." in message.text
    assert f"The link expires in {said}." in message.html


def test_a_reset_link_valid_for_less_than_a_minute_is_refused() -> None:
    with pytest.raises(ValueError, match="at least a minute"):
        password_reset(TO, "Ada", RESET_URL, 0)


def test_a_name_is_shown_on_one_line() -> None:
    message = verify_email(TO, "Ada\r\n\n  Lovelace\t", VERIFY_URL)

    assert "Hi Ada Lovelace," in message.text
    assert "Hi Ada Lovelace," in message.html


def test_a_long_name_is_shortened() -> None:
    message = verify_email(TO, "A" * 500, VERIFY_URL)

    shown = "A" * (NAME_MAX_LENGTH - 1) + "…"
    assert f"Hi {shown}," in message.text
    assert "A" * NAME_MAX_LENGTH not in message.text


def test_a_name_of_exactly_the_limit_is_shown_whole() -> None:
    name = "B" * NAME_MAX_LENGTH

    assert f"Hi {name}," in verify_email(TO, name, VERIFY_URL).text


@pytest.mark.parametrize("name", ["", "   ", "\n"])
def test_without_a_name_the_greeting_is_plain(name: str) -> None:
    message = password_changed(TO, name)

    assert "\n\nHello,\n\n" in message.text
    assert "Hi " not in message.text


@pytest.mark.parametrize(
    "url",
    [
        "/verify-email?token=x",
        "app.admitone.example/verify",
        "javascript:alert(1)",
        "ftp://app.admitone.example/verify",
        "https:///verify",
        "https://app.admitone.example/verify?token=a b",
        "https://app.admitone.example/verify?token=a\nb",
        "https://app.admitone.example/verify?token=a\x00b",
    ],
)
def test_a_link_that_is_not_an_absolute_http_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="a link must") as caught:
        verify_email(TO, "Ada", url)
    assert "token" not in str(caught.value)


def test_every_link_of_a_message_is_checked() -> None:
    with pytest.raises(ValueError, match="absolute"):
        account_already_exists(TO, "Ada", LOGIN_URL, "/reset-password")


@pytest.mark.parametrize(
    "to",
    [
        "ada",
        "ada@",
        "@example.com",
        "Ada <ada@example.com>",
        "ada@example.com, eve@example.com",
        "ada@example.com\r\nBcc: eve@example.com",
        "ada@@example.com",
    ],
)
def test_a_recipient_must_be_exactly_one_address(to: str) -> None:
    with pytest.raises(ValueError, match="one e-mail address") as caught:
        verify_email(to, "Ada", VERIFY_URL)
    assert "ada" not in str(caught.value)


def test_a_subject_must_be_one_line() -> None:
    with pytest.raises(ValueError, match="single line"):
        EmailMessage(to=TO, subject="Hello\r\nBcc: eve@example.com", text="t", html="h")


def test_a_message_is_immutable() -> None:
    message = password_changed(TO, "Ada")

    with pytest.raises(AttributeError):
        message.to = "eve@example.com"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        (BASE, "/login", f"{BASE}/login"),
        (f"{BASE}/", "login", f"{BASE}/login"),
        (f"{BASE}/shop/", "/login", f"{BASE}/shop/login"),
        ("http://127.0.0.1:3000", "/login", "http://127.0.0.1:3000/login"),
    ],
)
def test_app_link_joins_the_base_url_and_a_path(base: str, path: str, expected: str) -> None:
    assert app_link(base, path) == expected


def test_app_link_encodes_its_query() -> None:
    url = app_link(BASE, "/verify-email", token="a+b/c=", next="/orders?x=1&y=2")

    assert url == f"{BASE}/verify-email?token=a%2Bb%2Fc%3D&next=%2Forders%3Fx%3D1%26y%3D2"


def test_app_link_needs_an_absolute_base_url() -> None:
    with pytest.raises(ValueError, match="absolute"):
        app_link("app.admitone.example", "/login")


def test_a_reset_request_for_an_unknown_address_offers_to_register_and_carries_no_token():
    message = reset_without_account("nobody@example.com", "https://app.example/register")
    assert message.to == "nobody@example.com"
    assert "no account" in message.text.lower()
    assert "https://app.example/register" in message.text
    assert "https://app.example/register" in message.html
    assert "token" not in message.text


def test_an_order_confirmation_carries_each_ticket_its_image_and_the_receipt() -> None:
    message = confirmation("Ada", title="Rock & <Roll>")
    assert message.subject == "Your tickets for Rock & <Roll>"
    assert message.images == IMAGES
    for ticket in TICKETS:
        assert ticket.code in message.text
        assert f'src="cid:{ticket.image_cid}"' in message.html
    for line in (*RECEIPT, TOTAL):
        assert line.amount in message.text
        assert escape(line.amount) in message.html
    assert "Rock &amp; &lt;Roll&gt;" in message.html
    assert "<Roll>" not in message.html.replace("<title>", "")


def test_a_single_ticket_reads_in_the_singular() -> None:
    single = order_confirmation(
        TO,
        "Ada",
        event_title="Show",
        starts_local="tonight",
        order_number="A1-2026-000001",
        tickets=TICKETS[:1],
        receipt=RECEIPT,
        total=TOTAL,
        images=IMAGES[:1],
    )
    assert "1 ticket, tonight." in single.text


def test_every_ticket_needs_its_own_image() -> None:
    with pytest.raises(ValueError, match="its own image"):
        confirmation("Ada", images=IMAGES[:1])


def test_a_withheld_ticket_is_listed_with_its_reason_and_without_an_image() -> None:
    message = order_confirmation(
        TO,
        "Ada",
        event_title="Show",
        starts_local="tonight",
        order_number="A1-2026-000001",
        tickets=TICKETS[:1],
        receipt=RECEIPT,
        total=TOTAL,
        images=IMAGES[:1],
        withheld=(WithheldTicket("TKT-CCCC3333DDDD", "VIP", QrWithheld.TRANSFERRED),),
    )
    assert "2 tickets, tonight." in message.text
    assert "TKT-CCCC3333DDDD (VIP) was transferred to someone else" in message.text
    assert "TKT-CCCC3333DDDD (VIP) was transferred to someone else" in message.html
    assert message.images == IMAGES[:1]
    assert "cid:c@t" not in message.html


def test_a_confirmation_whose_tickets_are_all_withheld_asks_for_no_qr_at_the_gate() -> None:
    message = order_confirmation(
        TO,
        "Ada",
        event_title="Show",
        starts_local="tonight",
        order_number="A1-2026-000001",
        tickets=(),
        receipt=RECEIPT,
        total=TOTAL,
        images=(),
        withheld=(WithheldTicket("TKT-AAAA2222BBBB", "GA", QrWithheld.VOID),),
    )
    assert "1 ticket, tonight." in message.text
    assert "TKT-AAAA2222BBBB (GA) is no longer valid" in message.text
    assert "Show one QR code" not in message.text
    assert message.images == ()


def test_a_ticket_delivery_says_who_sent_it_and_shows_its_one_qr() -> None:
    sent = ticket_delivery(
        TO,
        "Bob",
        event_title="Gala",
        starts_local="tonight",
        ticket=TICKETS[0],
        image=IMAGES[0],
        sent_by="Ada Lovelace",
    )
    assert "Ada Lovelace sent you a ticket." in sent.text
    assert sent.images == IMAGES[:1]
    assert f'src="cid:{TICKETS[0].image_cid}"' in sent.html
    with pytest.raises(ValueError, match="its own image"):
        ticket_delivery(
            TO, "Bob", event_title="Gala", starts_local="x", ticket=TICKETS[0], image=IMAGES[1]
        )


@pytest.mark.parametrize(
    ("why", "said", "back_on_sale"),
    [
        (HoldEnd.EXPIRED, "expired before it was paid", True),
        (HoldEnd.CANCELLED, "was cancelled", True),
        (HoldEnd.EVENT_CANCELLED, "was cancelled with its event", False),
    ],
)
def test_an_ended_order_says_why(why: HoldEnd, said: str, back_on_sale: bool) -> None:
    message = order_ended(TO, "Ada", event_title="Gala", order_number="A1-2026-000042", why=why)
    assert said in message.subject
    assert "nothing was charged" in message.text
    # The seats of a cancelled event go nowhere: saying otherwise would be a lie.
    assert ("went back on sale" in message.text) is back_on_sale


def test_reminders_say_so_and_count_tickets() -> None:
    assert MESSAGES["registration_reminder"]("Ada").subject.startswith("Reminder: tell us")
    assert "You hold 2 tickets;" in MESSAGES["event_reminder"]("Ada").text
    one = event_reminder(TO, "Ada", event_title="Gala", starts_local="tomorrow", tickets=1)
    assert "You hold 1 ticket;" in one.text


def test_a_login_attempts_notice_counts_them_and_points_to_a_reset_without_a_link() -> None:
    message = login_attempts(TO, "Ada", 7)
    assert "7 failed attempts" in message.text
    assert "Forgot password" in message.text
    assert "http" not in message.text  # nothing to click: a phisher's copy would stand out


def test_a_failed_refund_tells_the_buyer_nothing_was_paid_and_they_may_ask_again() -> None:
    message = refund_failed(
        TO, "Ada", event_title="Gala", order_number="A1-2026-000042", amount="$113.25"
    )
    assert "could not be paid" in message.subject
    assert "$113.25" in message.text
    assert "ask for it again" in message.text


def test_a_sold_listing_tells_the_seller_its_price_and_when_proceeds_are_payable() -> None:
    message = listing_sold(TO, "Ada", event_title="Gala", price="$150.00")
    assert "sold" in message.subject
    assert "$150.00" in message.text
    assert "48 hours after the event ends" in message.text


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        *sorted(LISTING_END_REASONS.items()),
        ("something_new", "it can no longer be sold"),
    ],
)
def test_an_ended_listing_tells_the_seller_why_and_that_nobody_paid(reason: str, said: str) -> None:
    message = listing_ended(TO, "Ada", event_title="Gala", reason=reason)
    assert f"ended unsold because {said}." in message.text
    assert "Nobody was charged" in message.text
