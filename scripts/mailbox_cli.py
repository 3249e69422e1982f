"""The local stack's mailbox: every e-mail SES (moto) accepted, newest first, decoded.

Each mail shows its date, sender, recipients, subject, the text body, and the links in
it listed on their own (a verification or reset link to open or to cut the token from).

    scripts/mail                      every mail, newest first
    scripts/mail --to ADDRESS         only the mail sent to ADDRESS
    scripts/mail --limit 3            the 3 newest
    scripts/mail --follow             then keep printing new mail as it arrives (Ctrl-C)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TextIO

import requests

from scripts.devstack.endpoints import PORTS_HELP, Endpoints, StackNotRunning, require
from scripts.devstack.failures import ToolFailure, reader_gone
from scripts.devstack.mailbox import SentMail, addressed_to, newest_first, read_server

POLL_SECONDS = 1.0
_RULE = "-" * 72


def render(mail: SentMail) -> str:
    """One mail as the mailbox prints it."""
    date = mail.date.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if mail.date else "(no date)"
    lines = [
        _RULE,
        f"Date:    {date}",
        f"From:    {mail.sender}",
        f"To:      {', '.join(mail.to)}",
        f"Subject: {mail.subject}",
        "",
    ]
    if mail.text is not None:
        lines.append(mail.text.rstrip("\n"))
    elif mail.html is not None:
        lines.append("(HTML only; its links are below)")
    else:
        lines.append("(no body)")
    if mail.links:
        lines += ["", "Links:"]
        lines += [f"  {link}" for link in mail.links]
    return "\n".join(lines)


def select(mails: Iterable[SentMail], to: str | None) -> list[SentMail]:
    chosen = list(mails)
    return addressed_to(chosen, to) if to else chosen


def show(
    read: Callable[[], Sequence[SentMail]],
    to: str | None,
    limit: int | None,
    out: TextIO,
) -> set[str]:
    """Print the mailbox newest first; the ids of every mail it holds (shown or not)."""
    mails = select(read(), to)
    shown = newest_first(mails)[:limit] if limit is not None else newest_first(mails)
    if not shown:
        print(f"No mail{f' to {to}' if to else ''} yet.", file=out, flush=True)
    for mail in shown:
        print(render(mail), file=out, flush=True)
    return {mail.message_id for mail in mails}


def follow(
    read: Callable[[], Sequence[SentMail]],
    to: str | None,
    seen: set[str],
    out: TextIO,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Print each new mail once, oldest first, as it arrives; forever (until Ctrl-C)."""
    while True:
        sleep(POLL_SECONDS)
        for mail in select(read(), to):
            if mail.message_id not in seen:
                seen.add(mail.message_id)
                print(render(mail), file=out, flush=True)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/mail",
        description=__doc__,
        epilog=PORTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--to", metavar="ADDRESS", help="only mail to this address")
    parser.add_argument("--limit", metavar="N", type=_positive, help="at most the N newest mails")
    parser.add_argument(
        "--follow",
        action="store_true",
        help=f"keep printing new mail as it arrives (checks every {POLL_SECONDS:g} s)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    try:
        moto = Endpoints.from_environment().moto
        require(moto, "moto", "ADMITONE_MOTO_PORT")
        seen = show(lambda: _read(moto), args.to, args.limit, sys.stdout)
        if args.follow:
            follow(lambda: _read(moto), args.to, seen, sys.stdout)
    except ToolFailure as stopped:  # the stack is not running, or a port variable is wrong
        print(stopped, file=sys.stderr)
        return stopped.status
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:
        return reader_gone()
    return 0


def _read(moto: str) -> list[SentMail]:
    try:
        return read_server(moto)
    except requests.RequestException:
        raise StackNotRunning(
            f"moto at {moto} stopped answering: is scripts/run still running?"
        ) from None


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


if __name__ == "__main__":
    sys.exit(main())
