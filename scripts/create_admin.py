"""The first admin of a stack: nobody can appoint one through the API until one exists.

    scripts/create-admin EMAIL [--name NAME]             on the running local stack
    scripts/create-admin EMAIL --table TABLE [--name N]  on a deployed stack's table
                                                         (credentials and region from the
                                                         usual AWS configuration)

An address without an account becomes a new account holding ``buyer`` and ``admin``,
taken as verified; its password is read from the terminal (twice) or, piped, from the
first line of stdin, never from the command line. An existing account with a verified
address is granted ``admin`` (its sessions end, as with every role change); one that
already holds it is left alone. Every account write is the product's own
(services/user_admin.py), run with the environment of the function that sets roles.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from scripts.devstack.endpoints import PORTS_HELP, Endpoints, StackNotRunning, require

ROOT = Path(__file__).resolve().parent.parent
ACTOR = "scripts/create-admin"
# The deployed function that changes roles: its environment is the one account writes
# run with here (of it, they read the table's name and the region).
ROLES_FUNCTION = "SetUserRolesFunction"


class Refused(Exception):
    """The one sentence to print when the admin cannot be made."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    try:
        os.environ.update(_environment(args.table))
        print(make_admin(args.email, args.name))
    except (Refused, StackNotRunning) as refused:
        print(f"create-admin: {refused}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def make_admin(email: str, name: str) -> str:
    """Create or promote the account; what happened, as one sentence."""
    # Imported once the environment names the table: the logger reads its level then.
    from admitone.domain.errors import DomainError  # noqa: PLC0415
    from admitone.services import user_admin  # noqa: PLC0415

    try:
        found = user_admin.find_users(email)
        if found:
            granted = user_admin.grant_admin(found[0], granted_by=ACTOR)
            if granted is None:
                return f"{found[0].email} is already an admin: nothing granted."
            return f"{granted.email} is now an admin; their sessions ended: sign in again."
        created = user_admin.create_admin(email, name, _password(), created_by=ACTOR)
        return f"{created.email} is a new admin (address taken as verified): sign in with it."
    except DomainError as refused:
        raise Refused(refused.detail) from None
    except (BotoCoreError, ClientError) as failed:
        raise Refused(f"the table {os.environ['TABLE_NAME']} could not be used: {failed}") from None


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password for the new admin: ")
    if getpass.getpass("Again: ") != password:
        raise Refused("the two passwords differ.")
    return password


def _environment(table: str | None) -> dict[str, str]:
    """The role-setting function's environment, aimed at ``table`` or the local stack."""
    from scripts.devstack.template import Stack  # noqa: PLC0415

    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING"}
    if table is None:
        return {**_local_environment(), **quiet}
    region = os.environ.get("AWS_REGION") or _configured_region()
    function = Stack.load(ROOT, ROOT / "template.yaml").function(ROLES_FUNCTION)
    return {
        **function.environment,
        "TABLE_NAME": table,
        # settings() reads AWS_REGION (as Lambda sets it); boto3 AWS_DEFAULT_REGION.
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        **quiet,
    }


def _configured_region() -> str:
    import boto3  # noqa: PLC0415

    region = boto3.session.Session().region_name
    if not region:
        raise Refused("no AWS region is configured: set AWS_REGION to the stack's region.")
    return str(region)


def _local_environment() -> dict[str, str]:
    from scripts.devstack.stack import LocalStack  # noqa: PLC0415

    endpoints = Endpoints.from_environment()
    require(endpoints.moto, "moto", "ADMITONE_MOTO_PORT")
    stack = LocalStack.attach(ROOT / "template.yaml", ROOT, endpoints.moto, endpoints.stripe)
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        **stack.function(ROLES_FUNCTION).environment,
        "AWS_ENDPOINT_URL": endpoints.moto,
    }


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/create-admin",
        description=__doc__.split("\n")[0],
        epilog=PORTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("email", help="the admin's address")
    parser.add_argument("--name", default="Admin", help="a new account's name (default: Admin)")
    parser.add_argument("--table", help="a deployed stack's table (default: the local stack's)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
