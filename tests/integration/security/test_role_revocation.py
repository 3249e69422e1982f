"""Issue 16 item 5: roles that really revoke.

Holes shown here, each closed by the change that follows the test:
- an organizer demoted to buyer kept full control of their venues and events with the
  access token they already held (ownership checks ignored roles, and nothing ended the
  token before its 15 minutes were up);
- even with a fresh buyer-only token, owning a venue's event was enough to see its
  tickets, refund its orders any amount and read the owner's webhook endpoints;
- there was no way to suspend an account.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from admitone.domain.ids import Prefix, new_id
from tests.integration.conftest import Api, AwsStack
from tests.integration.gate_kit import buy
from tests.integration.money_kit import ask_refund
from tests.integration.shop import open_shop
from tests.integration.test_catalog import an_event
from tests.integration.test_identity import PASSWORD, login, register_and_verify


@dataclass
class SignedIn:
    user_id: str
    access: str
    refresh: str


def _signed_in(api: Api, aws: AwsStack, email: str, *roles: str) -> SignedIn:
    """A verified account with ``roles`` (set before it signs in), signed in."""
    register_and_verify(api, email)
    aws.use_function("SetUserRolesFunction")
    from admitone.adapters.dynamo import accounts  # noqa: PLC0415
    from admitone.domain.jwt_tokens import Role  # noqa: PLC0415

    found = accounts.user_with_hash_by_email(email)
    assert found is not None
    accounts.set_roles(found[0].id, tuple(Role(role) for role in roles), now=datetime.now(UTC))
    pair = login(api, email)
    return SignedIn(found[0].id, pair["access_token"], pair["refresh_token"])


def _problem(response: Any) -> tuple[int, str]:
    return response.status, response.json()["code"]


def _set_roles(api: Api, admin: SignedIn, user_id: str, roles: list[str]) -> Any:
    return api.request(
        "PUT", f"/admin/users/{user_id}/roles", json_body={"roles": roles}, token=admin.access
    )


def test_a_demoted_organizer_loses_their_venue_and_event_at_once(api: Api, aws: AwsStack):
    organizer = _signed_in(api, aws, "olive@example.com", "buyer", "organizer")
    admin = _signed_in(api, aws, "root@example.com", "buyer", "admin")
    venue_id, event_id = an_event(api, organizer.access)

    assert _set_roles(api, admin, organizer.user_id, ["buyer"]).status == 200

    # The token issued before the change is dead at once: the same 401 as an expired one.
    held = organizer.access
    renamed = api.request("PATCH", f"/venues/{venue_id}", json_body={"name": "Mine"}, token=held)
    assert _problem(renamed) == (401, "TOKEN_INVALID")
    retitled = api.request("PATCH", f"/events/{event_id}", json_body={"title": "Mine"}, token=held)
    assert _problem(retitled) == (401, "TOKEN_INVALID")
    assert _problem(api.get(f"/events/{event_id}/stats", token=held)) == (401, "TOKEN_INVALID")
    assert _problem(api.get("/me", token=held)) == (401, "TOKEN_INVALID")
    # So is the session it came with.
    refreshed = api.post("/auth/refresh", {"refresh_token": organizer.refresh})
    assert _problem(refreshed) == (401, "REFRESH_TOKEN_INVALID")

    # Signed in again, right away: a buyer, who manages nothing any more.
    fresh = login(api, "olive@example.com")["access_token"]
    assert api.get("/me", token=fresh).json()["roles"] == ["buyer"]
    renamed = api.request("PATCH", f"/venues/{venue_id}", json_body={"name": "Mine"}, token=fresh)
    assert _problem(renamed) == (404, "NOT_FOUND")
    retitled = api.request("PATCH", f"/events/{event_id}", json_body={"title": "Mine"}, token=fresh)
    assert _problem(retitled) == (404, "NOT_FOUND")
    assert _problem(api.get(f"/events/{event_id}/stats", token=fresh)) == (404, "NOT_FOUND")
    assert api.get(f"/venues/{venue_id}").json()["name"] == "The Ryman"

    # Promoted back, the same venue and event are theirs again (after signing in again).
    assert _set_roles(api, admin, organizer.user_id, ["buyer", "organizer"]).status == 200
    assert _problem(api.get("/me", token=fresh)) == (401, "TOKEN_INVALID")
    again = login(api, "olive@example.com")["access_token"]
    assert api.get(f"/events/{event_id}/stats", token=again).status == 200


def test_setting_the_roles_a_user_already_has_ends_no_session(api: Api, aws: AwsStack):
    organizer = _signed_in(api, aws, "otto@example.com", "buyer", "organizer")
    admin = _signed_in(api, aws, "root@example.com", "buyer", "admin")

    assert _set_roles(api, admin, organizer.user_id, ["organizer", "buyer"]).status == 200

    assert api.get("/me", token=organizer.access).status == 200
    assert api.post("/auth/refresh", {"refresh_token": organizer.refresh}).status == 200


def _subject(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def test_owning_an_event_is_not_enough_without_the_organizer_role(api: Api, aws: AwsStack):
    shop = open_shop(api, aws)
    holder = buy(shop, 2)
    ticket_id = holder.tickets[0]["id"]
    endpoint = api.post(
        "/webhook-endpoints",
        {"url": "http://127.0.0.1:9/hooks", "events": ["order.paid"]},
        token=shop.organizer_token,
    )
    assert endpoint.status == 201, endpoint.body
    endpoint_path = f"/webhook-endpoints/{endpoint.json()['id']}"
    owner = _subject(shop.organizer_token)
    # What the owner holds once their organizer role is gone and they sign in again.
    demoted = aws.access_token(owner, "buyer", email=f"{owner}@example.com")

    assert _problem(api.get(f"/tickets/{ticket_id}", token=demoted)) == (404, "NOT_FOUND")
    assert _problem(api.get(f"/orders/{holder.order_id}", token=demoted)) == (404, "NOT_FOUND")
    refund = ask_refund(api, holder.order_id, demoted, {"amount_cents": 100})
    assert _problem(refund) == (404, "NOT_FOUND")
    assert _problem(api.get(endpoint_path, token=demoted)) == (404, "NOT_FOUND")
    assert _problem(api.request("DELETE", endpoint_path, token=demoted)) == (404, "NOT_FOUND")
    assert _problem(api.get(f"/events/{shop.event_id}/stats", token=demoted)) == (404, "NOT_FOUND")

    # The organizer (and an admin) still can; nothing above changed anything.
    assert api.get(f"/tickets/{ticket_id}", token=shop.organizer_token).status == 200
    assert api.get(endpoint_path, token=shop.organizer_token).status == 200
    admin = aws.access_token(new_id(Prefix.USER), "admin")
    order = api.get(f"/orders/{holder.order_id}", token=admin).json()
    assert (order["status"], order["refunded_cents"]) == ("paid", 0)


def _suspend(api: Api, admin: SignedIn, user_id: str, body: Any = None) -> Any:
    return api.request(
        "PUT", f"/admin/users/{user_id}/suspension", json_body=body or {}, token=admin.access
    )


def _reinstate(api: Api, admin: SignedIn, user_id: str) -> Any:
    return api.request("DELETE", f"/admin/users/{user_id}/suspension", token=admin.access)


def test_a_suspension_ends_every_session_and_sign_in_until_reinstated(api: Api, aws: AwsStack):
    organizer = _signed_in(api, aws, "mallory@example.com", "buyer", "organizer")
    admin = _signed_in(api, aws, "root@example.com", "buyer", "admin")
    venue_id, _ = an_event(api, organizer.access)

    suspended = _suspend(api, admin, organizer.user_id, {"reason": "chargeback ring"})
    assert suspended.status == 200, suspended.body
    assert suspended.json()["user_id"] == organizer.user_id
    assert suspended.json()["reason"] == "chargeback ring"

    held = organizer.access
    renamed = api.request("PATCH", f"/venues/{venue_id}", json_body={"name": "Mine"}, token=held)
    assert _problem(renamed) == (401, "TOKEN_INVALID")
    refreshed = api.post("/auth/refresh", {"refresh_token": organizer.refresh})
    assert _problem(refreshed) == (401, "REFRESH_TOKEN_INVALID")
    # The right password learns of the suspension; a guesser learns nothing new.
    right = api.post("/auth/login", {"email": "mallory@example.com", "password": PASSWORD})
    assert _problem(right) == (403, "ACCOUNT_SUSPENDED")
    wrong = api.post("/auth/login", {"email": "mallory@example.com", "password": "not it at all"})
    assert _problem(wrong) == (401, "INVALID_CREDENTIALS")
    # Suspending again changes nothing and keeps the first moment.
    again = _suspend(api, admin, organizer.user_id)
    assert again.json()["suspended_at"] == suspended.json()["suspended_at"]

    assert _reinstate(api, admin, organizer.user_id).status == 204
    assert _reinstate(api, admin, organizer.user_id).status == 204
    back = login(api, "mallory@example.com")["access_token"]
    assert api.get(f"/venues/{venue_id}", token=back).status == 200
    renamed = api.request("PATCH", f"/venues/{venue_id}", json_body={"name": "Back"}, token=back)
    assert renamed.status == 200
    # What the suspension ended stays ended.
    assert _problem(api.get("/me", token=held)) == (401, "TOKEN_INVALID")
    assert api.post("/auth/refresh", {"refresh_token": organizer.refresh}).status == 401


def test_only_admins_suspend_others_and_never_themselves(api: Api, aws: AwsStack):
    admin = _signed_in(api, aws, "root@example.com", "buyer", "admin")
    buyer = _signed_in(api, aws, "bob@example.com", "buyer")

    assert _problem(_suspend(api, buyer, admin.user_id)) == (403, "FORBIDDEN")
    assert _problem(_reinstate(api, buyer, admin.user_id)) == (403, "FORBIDDEN")
    assert _problem(_suspend(api, admin, admin.user_id)) == (409, "CANNOT_SUSPEND_SELF")
    assert api.get("/me", token=admin.access).status == 200
    unknown = new_id(Prefix.USER)
    assert _problem(_suspend(api, admin, unknown)) == (404, "NOT_FOUND")
    assert _problem(_reinstate(api, admin, unknown)) == (404, "NOT_FOUND")
    too_long = _suspend(api, admin, buyer.user_id, {"reason": "x" * 501})
    assert _problem(too_long) == (422, "VALIDATION_FAILED")
    assert api.get("/me", token=buyer.access).status == 200


def test_a_login_in_the_same_second_as_the_role_change_works_and_older_tokens_do_not(
    api: Api, aws: AwsStack
):
    """Access tokens carry whole seconds (``iat``); a revocation at 12.5 s must end a
    token issued at 12.1 s and spare one signed in for at 12.7 s (issued at 13 s, the
    issuer waits), which a revocation at 13.2 s ends in turn."""
    organizer = _signed_in(api, aws, "sam@example.com", "buyer", "organizer")
    from admitone.domain.jwt_tokens import Role  # noqa: PLC0415
    from admitone.services.authorize import authorize  # noqa: PLC0415
    from admitone.services.login import login as login_service  # noqa: PLC0415
    from admitone.services.refresh_session import refresh_session  # noqa: PLC0415
    from admitone.services.user_admin import set_roles  # noqa: PLC0415

    # A whole second of its own, after the sign-in above and its role change.
    second = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    aws.use_function("LoginFunction")
    before = login_service("sam@example.com", PASSWORD, now=second + timedelta(milliseconds=100))
    aws.use_function("SetUserRolesFunction")
    changed_at = second + timedelta(milliseconds=500)
    set_roles(organizer.user_id, (Role.BUYER,), changed_by="usr_admin", now=changed_at)
    aws.use_function("LoginFunction")
    after = login_service("sam@example.com", PASSWORD, now=second + timedelta(milliseconds=700))

    aws.use_function("AuthorizerFunction")
    checked_at = second + timedelta(milliseconds=800)
    old = authorize(f"Bearer {before.access_token}", now=checked_at)
    assert (old["authenticated"], old["reason"]) == (False, "revoked")
    new = authorize(f"Bearer {after.access_token}", now=checked_at)
    assert new["authenticated"] is True
    assert new["roles"] == "buyer"
    aws.use_function("RefreshFunction")
    refreshed = refresh_session(after.refresh_token, now=checked_at)

    aws.use_function("SetUserRolesFunction")
    promoted_at = second + timedelta(seconds=1, milliseconds=200)
    set_roles(organizer.user_id, (Role.ORGANIZER,), changed_by="usr_admin", now=promoted_at)
    aws.use_function("AuthorizerFunction")
    for token in (after.access_token, refreshed.access_token):
        ended = authorize(f"Bearer {token}", now=promoted_at + timedelta(milliseconds=100))
        assert (ended["authenticated"], ended["reason"]) == (False, "revoked")


@pytest.mark.parametrize(
    ("function_id", "scenario"),
    [("SuspendUserFunction", "ok"), ("ReinstateUserFunction", "ok")],
)
def test_the_suspension_sample_events_get_their_documented_answers(
    aws: AwsStack, function_id: str, scenario: str
):
    # The sample events name a user that does not exist in a fresh table.
    response = aws.invoke_sample(function_id, scenario)
    assert response["statusCode"] == 404, response.get("body")
    assert json.loads(response["body"])["code"] == "NOT_FOUND"


def test_a_token_that_cannot_be_checked_against_its_user_is_a_503_not_a_pass(
    api: Api, aws: AwsStack
):
    # The authorizer reads the caller's user to rule out a revocation. When the table
    # cannot be read it neither lets the token through unchecked nor crashes the gateway
    # (a bare 500): the caller is told to retry.
    buyer = _signed_in(api, aws, "ada@example.com", "buyer")
    aws.client("dynamodb").delete_table(TableName=aws.stack.physical_name("Table"))

    response = api.get("/me", token=buyer.access)

    assert response.status == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "DEPENDENCY_UNAVAILABLE"
