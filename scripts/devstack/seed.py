"""Local development accounts: a verified admin and a verified organizer.

Runs only from the local stack (never deployed), in a process with a function's
environment, so it writes through the same adapters the functions use.
Password: ADMITONE_DEV_PASSWORD (default "admitone-dev-password").
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from admitone.adapters import passwords
from admitone.adapters.dynamo import accounts
from admitone.domain.accounts import User
from admitone.domain.ids import Prefix, new_id
from admitone.domain.jwt_tokens import Role

DEFAULT_PASSWORD = "admitone-dev-password"  # noqa: S105  (documented local-only default)
ACCOUNTS = {
    "admin@admitone.local": ("Dev Admin", (Role.BUYER, Role.ADMIN)),
    "organizer@admitone.local": ("Dev Organizer", (Role.BUYER, Role.ORGANIZER)),
}


def main() -> None:
    password = os.environ.get("ADMITONE_DEV_PASSWORD") or DEFAULT_PASSWORD
    password_hash = passwords.hash_password(password)
    now = datetime.now(UTC)
    created = []
    for email, (name, roles) in ACCOUNTS.items():
        user = User(
            id=new_id(Prefix.USER, now=now),
            email=email,
            name=name,
            roles=roles,
            created_at=now,
            email_verified=True,
        )
        try:
            accounts.create_user(user, password_hash)
            created.append(email)
        except accounts.EmailTaken:
            continue
    if created:
        print(f"dev accounts {', '.join(created)} (password: {password})", flush=True)


if __name__ == "__main__":
    main()
