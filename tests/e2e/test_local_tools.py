"""scripts/seed and scripts/mail, run as a newcomer would against one local stack (its
ports given as ADMITONE_*_PORT): the sample events go on sale once however often the
seed runs, and a registration's verification link is read from the mailbox and works."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from scripts.devstack.stack import ROOT, LocalStack
from scripts.sample_data import EVENTS, ORGANIZER
from tests.e2e.conftest import StartStack
from tests.e2e.waits import wait_for

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def stack(start_stack: StartStack) -> LocalStack:
    return start_stack(ROOT / "template.yaml")[0]


def environment(stack: LocalStack) -> dict[str, str]:
    return {
        **os.environ,
        "ADMITONE_API_PORT": str(stack.ports.api),
        "ADMITONE_MOTO_PORT": str(stack.ports.moto),
        "ADMITONE_STRIPE_PORT": str(stack.ports.stripe),
    }


def run_script(stack: LocalStack, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / name), *args],
        env=environment(stack),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def register(stack: LocalStack, address: str) -> None:
    # Each registration is one of the 5 auth calls a minute the API allows one client
    # (RULES §16); with the seed's two sign-ins this module makes four.
    response = requests.post(
        f"{stack.api_url}/auth/register",
        json={"email": address, "password": PASSWORD, "name": "Ada"},
        timeout=30,
    )
    assert response.status_code == 201, response.text


def listed_links(output: str) -> list[str]:
    """The links scripts/mail lists under each mail's "Links:"."""
    return re.findall(r"^  (https?://\S+)$", output, flags=re.MULTILINE)


def test_seeding_twice_puts_two_events_on_sale_once(stack: LocalStack):
    first = run_script(stack, "seed")
    second = run_script(stack, "seed")

    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.startswith("Created venue The Sample Hall"), first.stdout
    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing created" in second.stdout
    assert "Created" not in second.stdout
    assert f"{ORGANIZER} / " in second.stdout  # the sign-in, every time
    listed = requests.get(f"{stack.api_url}/events?limit=100", timeout=30).json()["events"]
    titles = sorted(event["title"] for event in listed)
    assert titles == sorted(sample.title for sample in EVENTS)  # each once
    for event in listed:
        shown = requests.get(f"{stack.api_url}/events/{event['id']}", timeout=30).json()
        assert len(shown["ticket_types"]) == 2
        assert event["id"] in first.stdout
        assert event["id"] in second.stdout


def test_following_the_mailbox_shows_new_mail_and_ctrl_c_ends_it_quietly(
    stack: LocalStack, tmp_path: Path
):
    address = f"follower-{uuid.uuid4().hex[:8]}@example.com"
    output = tmp_path / "mail.out"
    with output.open("w") as out:
        follower = subprocess.Popen(
            [str(ROOT / "scripts" / "mail"), "--follow", "--to", address],
            env=environment(stack),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: f"No mail to {address} yet." in output.read_text() or follower.poll(),
            what="the mailbox to say it holds nothing yet",
        )
        register(stack, address)
        wait_for(
            lambda: "Subject:" in output.read_text() or follower.poll() is not None,
            what="the verification mail to be followed",
        )
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=60) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
    text = output.read_text()
    assert "Traceback" not in text, text
    assert "KeyboardInterrupt" not in text, text
    assert f"To:      {address}" in text
    assert any("/verify-email" in link for link in listed_links(text)), text


def test_the_verification_link_comes_out_of_scripts_mail_and_verifies(stack: LocalStack):
    address = f"newcomer-{uuid.uuid4().hex[:8]}@example.com"
    register(stack, address)

    mailbox = run_script(stack, "mail", "--to", address)

    assert mailbox.returncode == 0, mailbox.stdout + mailbox.stderr
    recipients = re.findall(r"^To:      (.*)$", mailbox.stdout, flags=re.MULTILINE)
    assert recipients == [address]  # the follower's mail (the test above) is left out
    (link,) = [link for link in listed_links(mailbox.stdout) if "/verify-email" in link]
    token = re.search(r"token=([^&\s]+)", link)
    assert token is not None
    verified = requests.post(
        f"{stack.api_url}/auth/verify-email", json={"token": token.group(1)}, timeout=30
    )
    assert verified.status_code == 200, verified.text
