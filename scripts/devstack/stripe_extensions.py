"""Disputes and failing refunds for localstripe 1.15.10, as Stripe's test mode has them.

localstripe has no Dispute resource at all (``/v1/disputes`` is a 404), its refunds
succeed for good, and it sends no ``charge.dispute.*`` or ``refund.*`` webhooks, so
the money paths that start at Stripe (a chargeback, a refund the card network sends
back) could only be tested with events the tests signed themselves. ``install()``
adds, driven through the real stripe SDK the way real test mode is:

- **Disputes.** A charge paid with Stripe's dispute test card (``4000000000000259``,
  or the PaymentMethod ``pm_card_createDispute``) is disputed as soon as it succeeds:
  a ``dp_`` Dispute (``amount``, ``currency``, ``charge``, ``payment_intent``,
  ``status`` ``needs_response``, ``reason`` ``fraudulent``, ``evidence``,
  ``evidence_details``) and a ``charge.dispute.created`` webhook; the charge says
  ``disputed``. ``disputes.retrieve/list/update/close`` work. Updating with
  ``evidence[uncategorized_text]`` ``winning_evidence`` or ``losing_evidence`` closes
  it ``won`` or ``lost`` (Stripe's test-mode rule), sending ``charge.dispute.updated``
  (evidence submitted, ``under_review``) then ``charge.dispute.closed``; other
  evidence leaves it ``under_review`` (``submit=false``: ``needs_response``).
  ``close`` accepts the dispute: ``lost``, ``charge.dispute.closed``.
- **Refunds that fail.** A refund of a charge paid with Stripe's refund-failure test
  card (``4000000000005126``, or ``pm_card_refundFail``) is created ``succeeded`` as
  Stripe returns it and about a second later turns ``failed`` with ``failure_reason``
  ``expired_or_canceled_card`` (and a ``failure_balance_transaction`` giving the money
  back), sending ``charge.refund.updated``, ``refund.updated`` and ``refund.failed``.
  A failed refund no longer counts in the charge's ``amount_refunded``. Every refund
  carries its ``payment_intent`` (localstripe left it empty when made from a charge)
  and ``failure_reason`` (null until it fails).
- **Manual capture (escrow).** A PaymentIntent created with ``capture_method=manual``
  is authorized, not charged, when confirmed: it turns ``requires_capture`` with
  ``amount_capturable`` its amount, and ``payment_intent.amount_capturable_updated`` is
  sent. ``capture`` works only from ``requires_capture`` (anything else is Stripe's
  ``payment_intent_unexpected_state`` error), charges the card (``amount_received``)
  and sends ``payment_intent.succeeded``. ``cancel`` (optional ``cancellation_reason``)
  of a PaymentIntent not yet paid sets ``canceled_at`` and sends
  ``payment_intent.canceled`` (upstream sent nothing); an uncaptured authorization is
  released and never charged. Cancelling a succeeded or canceled one is Stripe's
  ``payment_intent_unexpected_state`` error.
- **Webhooks in order.** Every event (localstripe's own too) still goes through its
  Event resource to every endpoint registered with ``POST /_config/webhooks/{name}``,
  signed with that endpoint's secret, about a second after it happened, but one at a
  time in the order the events happened: upstream posts each one concurrently, so a
  ``charge.dispute.created`` could overtake the ``payment_intent.succeeded`` it
  follows. A delivery waits at most ``DELIVERY_TIMEOUT_SECONDS`` for its answer.

- **Connect (the minimum).** ``accounts.create`` (``type`` ``custom``, ``express`` or
  ``standard``; ``country``, ``email``, ``capabilities``, ``metadata``) makes an
  ``acct_`` Account whose ``capabilities.transfers`` is ``active`` when it was
  requested (``capabilities[transfers][requested]=true``), ``inactive`` otherwise;
  ``accounts.retrieve`` reads it. ``transfers.create`` (``amount``, ``currency``,
  ``destination``, optional ``metadata``, ``transfer_group``, ``description``) moves
  money to a connected account: an unknown destination is Stripe's
  ``resource_missing`` error, one without the transfers capability
  ``insufficient_capabilities_for_transfer``. ``transfers.retrieve`` and
  ``transfers.list`` (``destination``, ``limit``, ``starting_after``) read them, newest
  first. Creating an account or a transfer honours the ``Idempotency-Key`` header as
  Stripe does (upstream ignores it everywhere): the same key answers the first
  object again, the same key with other parameters is an ``idempotency_error``.

Test hooks where the SDK has no words (under ``/_config/``, unauthenticated, like
localstripe's own):

- ``DELETE /_config/webhooks/{name}``: stop sending to that endpoint.
- ``POST /_config/charges/{id}/dispute`` (optional ``amount``, ``reason``): dispute any
  succeeded charge now, e.g. one already refunded, which the test card cannot do.
- ``POST /_config/disputes/{id}`` with ``amount``: the disputed amount changes (as a
  currency conversion or a partial dispute changes it on Stripe) and
  ``charge.dispute.updated`` is sent; a later close carries the new amount.

Call ``install()`` before anything imports ``localstripe.server``: its routes bind
the resource classes' methods when it is imported.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from localstripe import resources, webhooks
from localstripe.errors import UserError

DISPUTE_CARD = "4000000000000259"
REFUND_FAILURE_CARD = "4000000000005126"
TEST_PAYMENT_METHODS = {
    "pm_card_createDispute": DISPUTE_CARD,
    "pm_card_refundFail": REFUND_FAILURE_CARD,
}
# Stripe's test mode decides a dispute by this evidence field's value.
TEST_EVIDENCE_FIELD = "uncategorized_text"
TEST_OUTCOMES = {"winning_evidence": "won", "losing_evidence": "lost"}
CLOSED = frozenset({"won", "lost", "warning_closed"})
EVIDENCE_DUE_SECONDS = 7 * 24 * 60 * 60
REFUND_FAILURE_DELAY_SECONDS = 1.0
REFUND_FAILURE_REASON = "expired_or_canceled_card"
WEBHOOK_DELAY_SECONDS = 1.0  # as upstream
DELIVERY_TIMEOUT_SECONDS = 10.0

_log = logging.getLogger("aiohttp.access")  # where localstripe logs its deliveries
# asyncio keeps only weak references to tasks: these keep ours alive until they end.
_background: set[asyncio.Task[None]] = set()


def _in_background(work: Any) -> None:
    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(_background.discard)


def _emit(event_type: str, obj: Any) -> None:
    """The event as localstripe records and sends its own (the data is a snapshot)."""
    resources.schedule_webhook(resources.Event(event_type, obj))


# -- webhooks, one at a time in order -------------------------------------------------


class OrderedDelivery:
    """Sends events to the registered endpoints in the order they were scheduled."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[float, Any]] | None = None

    def schedule(self, event: Any) -> None:
        loop = asyncio.get_running_loop()
        if self._queue is None:
            self._queue = asyncio.Queue()
            _in_background(self._run(self._queue))
        self._queue.put_nowait((loop.time() + WEBHOOK_DELAY_SECONDS, event))

    async def _run(self, queue: asyncio.Queue[tuple[float, Any]]) -> None:
        loop = asyncio.get_running_loop()
        timeout = aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                due, event = await queue.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                for name, endpoint in list(webhooks._webhooks.items()):
                    if endpoint.events is None or event.type in endpoint.events:
                        try:
                            await _deliver(session, name, endpoint, event)
                        except Exception:
                            # One bad event must not stop every later one (upstream's
                            # task per event lost only that one).
                            _log.exception('webhook "%s" to %s not sent', event.type, name)


async def _deliver(session: aiohttp.ClientSession, name: str, endpoint: Any, event: Any) -> None:
    """Upstream's payload and ``Stripe-Signature`` scheme, one endpoint."""
    payload = json.dumps(event._export(), indent=2, sort_keys=True).encode()
    signed = b"%d.%s" % (event.created, payload)
    signature = hmac.new(endpoint.secret.encode(), signed, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": f"t={event.created},v1={signature}",
    }
    try:
        async with session.post(endpoint.url, data=payload, headers=headers) as response:
            _log.info('webhook "%s" to %s: %d', event.type, name, response.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        _log.info('webhook "%s" to %s failed: %r', event.type, name, exc)


# -- test cards -----------------------------------------------------------------------


def _card_number(charge: Any) -> str | None:
    method = resources.PaymentMethod._api_retrieve(charge.payment_method)
    return getattr(method, "_card_number", None)


def _test_payment_method(original: Callable[[str], Any]) -> Callable[[type, str], Any]:
    def canonical(cls: type, id: str) -> Any:
        number = TEST_PAYMENT_METHODS.get(id)
        if number is None:
            return original(id)
        card = {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"}
        return cls(type="card", card=card)

    return canonical


# -- disputes -------------------------------------------------------------------------


class Dispute(resources.StripeObject):
    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, charge: Any, amount: int, reason: str) -> None:
        super().__init__()
        self.amount = amount
        self.currency = charge.currency
        self.charge = charge.id
        self.payment_intent = charge.payment_intent
        self.reason = reason
        self.status = "needs_response"
        self.evidence: dict[str, Any] = {TEST_EVIDENCE_FIELD: None}
        self.evidence_details = {
            "due_by": self.created + EVIDENCE_DUE_SECONDS,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        }
        self.is_charge_refundable = False
        self.balance_transactions: list[Any] = []
        self.metadata: dict[str, str] = {}

    @classmethod
    def _open(cls, charge: Any, amount: Any = None, reason: Any = None) -> Dispute:
        amount = resources.try_convert_to_int(charge.amount if amount is None else amount)
        reason = "fraudulent" if reason is None else reason
        if not (isinstance(amount, int) and 0 < amount <= charge.amount):
            raise UserError(400, "amount must be between 1 and the charge's amount")
        if not isinstance(reason, str) or not reason:
            raise UserError(400, "Bad request")
        if charge.status != "succeeded" or not charge.captured:
            raise UserError(400, "Only a captured, succeeded charge can be disputed")
        dispute = cls(charge, amount, reason)
        _emit("charge.dispute.created", dispute)
        return dispute

    @classmethod
    def _api_create(cls, **data: Any) -> Any:
        raise UserError(405, "Method Not Allowed")  # the card holder's bank opens them

    @classmethod
    def _api_delete(cls, id: str) -> Any:
        raise UserError(405, "Method Not Allowed")

    @classmethod
    def _api_update(
        cls,
        id: str,
        evidence: Any = None,
        metadata: Any = None,
        submit: Any = None,
        **unexpected: Any,
    ) -> Dispute:
        if unexpected:
            raise UserError(400, "Unexpected " + ", ".join(unexpected))
        submit = resources.try_convert_to_bool(True if submit is None else submit)
        if evidence is not None and not (
            isinstance(evidence, dict) and all(isinstance(v, str) for v in evidence.values())
        ):
            raise UserError(400, "Bad request")
        if metadata is not None and not isinstance(metadata, dict):
            raise UserError(400, "Bad request")
        if not isinstance(submit, bool):
            raise UserError(400, "Bad request")
        dispute: Dispute = cls._api_retrieve(id)
        if dispute.status in CLOSED:
            raise UserError(400, f"This dispute is already closed ({dispute.status})")
        dispute.metadata.update(metadata or {})
        if evidence:
            dispute.evidence.update(evidence)
            dispute.evidence_details["has_evidence"] = True
            if submit:
                dispute.status = "under_review"
                dispute.evidence_details["submission_count"] += 1
        _emit("charge.dispute.updated", dispute)
        outcome = TEST_OUTCOMES.get(str(dispute.evidence.get(TEST_EVIDENCE_FIELD)))
        if submit and evidence and outcome is not None:
            dispute.status = outcome
            _emit("charge.dispute.closed", dispute)
        return dispute

    @classmethod
    def _api_close(cls, id: str, **unexpected: Any) -> Dispute:
        if unexpected:
            raise UserError(400, "Unexpected " + ", ".join(unexpected))
        dispute: Dispute = cls._api_retrieve(id)
        if dispute.status in CLOSED:
            raise UserError(400, f"This dispute is already closed ({dispute.status})")
        dispute.status = "lost"
        _emit("charge.dispute.closed", dispute)
        return dispute

    @classmethod
    def _api_list_all(
        cls,
        url: str,
        charge: Any = None,
        payment_intent: Any = None,
        limit: Any = None,
        starting_after: Any = None,
        **unexpected: Any,
    ) -> Any:
        if unexpected:
            raise UserError(400, "Unexpected " + ", ".join(unexpected))
        found = super()._api_list_all(url, limit=limit, starting_after=starting_after)
        found._list = sorted(
            (
                d
                for d in found._list
                if charge in (None, d.charge) and payment_intent in (None, d.payment_intent)
            ),
            key=lambda d: d.created,
            reverse=True,
        )
        return found

    @classmethod
    def _config_amount(cls, id: str, amount: Any = None, **unexpected: Any) -> Dispute:
        """Test hook: the disputed amount changes while the dispute is open."""
        amount = resources.try_convert_to_int(amount)
        if unexpected or not (isinstance(amount, int) and amount > 0):
            raise UserError(400, "Expected a positive amount")
        dispute: Dispute = cls._api_retrieve(id)
        if dispute.status in CLOSED:
            raise UserError(400, f"This dispute is already closed ({dispute.status})")
        dispute.amount = amount
        _emit("charge.dispute.updated", dispute)
        return dispute


def _dispute_charge(id: str, amount: Any = None, reason: Any = None, **unexpected: Any) -> Any:
    """Test hook: the card holder disputes this charge now."""
    if unexpected:
        raise UserError(400, "Unexpected " + ", ".join(unexpected))
    return Dispute._open(resources.Charge._api_retrieve(id), amount, reason)


def _charge_disputed(charge: Any) -> bool:
    return any(
        key.startswith("dispute:") and dispute.charge == charge.id
        for key, dispute in resources.store.items()
    )


def _trigger_payment(original: Callable[..., Any]) -> Callable[..., Any]:
    """A dispute-card charge is disputed as soon as it succeeds, after what its success
    sends (``payment_intent.succeeded``), as Stripe's test mode does."""

    def trigger(charge: Any, on_success: Callable[[], None] | None = None) -> Any:
        def succeeded() -> None:
            if on_success is not None:
                on_success()
            if _card_number(charge) == DISPUTE_CARD:
                Dispute._open(charge)

        return original(charge, on_success=succeeded)

    return trigger


# -- refunds --------------------------------------------------------------------------


def _refund_init(original: Callable[..., None]) -> Callable[..., None]:
    def init(refund: Any, *args: Any, **kwargs: Any) -> None:
        original(refund, *args, **kwargs)
        charge = resources.Charge._api_retrieve(refund.charge)
        refund.payment_intent = refund.payment_intent or charge.payment_intent
        refund.failure_reason = None
        if _card_number(charge) == REFUND_FAILURE_CARD:
            _in_background(_fail_later(refund))

    return init


async def _fail_later(refund: Any) -> None:
    await asyncio.sleep(REFUND_FAILURE_DELAY_SECONDS)
    returned = resources.BalanceTransaction(
        amount=refund.amount,
        currency=refund.currency,
        description="REFUND FAILURE",
        exchange_rate=1.0,
        reporting_category="refund",
        source=refund.id,
        type="refund",
    )
    # BalanceTransaction accepts only its two own types; Stripe names this one so.
    returned.type = returned.reporting_category = "refund_failure"
    refund.status = "failed"
    refund.failure_reason = REFUND_FAILURE_REASON
    refund.failure_balance_transaction = returned.id
    for event_type in ("charge.refund.updated", "refund.updated", "refund.failed"):
        _emit(event_type, refund)


def _amount_refunded(charge: Any) -> int:
    return sum(r.amount for r in charge.refunds._list if r.status != "failed")


# -- manual capture -------------------------------------------------------------------

CANCELLABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
)
CANCELLATION_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer", "abandoned"})


def _unexpected_state(intent: Any, verb: str, allowed: tuple[str, ...]) -> UserError:
    """Stripe's words and code for an action the PaymentIntent's status does not allow."""
    return UserError(
        400,
        f"This PaymentIntent could not be {verb} because it has a status of {intent.status}. "
        f"Only a PaymentIntent with one of the following statuses may be {verb}: "
        f"{', '.join(allowed)}.",
        {"code": "payment_intent_unexpected_state", "payment_intent": {"id": intent.id}},
    )


def _amount_capturable(intent: Any) -> int:
    return int(intent.amount) if intent.status == "requires_capture" else 0


def _amount_received(intent: Any) -> int:
    charge = intent.latest_charge
    if charge is None or charge.status != "succeeded" or not charge.captured:
        return 0
    return int(charge.amount)


def _create_charge(original: Callable[..., None]) -> Callable[..., None]:
    """A confirmed manual-capture PaymentIntent says its amount is capturable."""

    def create(intent: Any, on_failure_now: Any) -> None:
        original(intent, on_failure_now)
        if intent.capture_method == "manual" and intent.status == "requires_capture":
            _emit("payment_intent.amount_capturable_updated", intent)

    return create


def _capture(id: str, amount_to_capture: Any = None, **unexpected: Any) -> Any:
    if unexpected:
        raise UserError(400, "Unexpected " + ", ".join(unexpected))
    if not (isinstance(id, str) and id.startswith("pi_")):
        raise UserError(400, "Bad request")
    intent = resources.PaymentIntent._api_retrieve(id)
    if intent.status != "requires_capture":
        raise _unexpected_state(intent, "captured", ("requires_capture",))
    amount = resources.try_convert_to_int(
        intent.amount if amount_to_capture is None else amount_to_capture
    )
    if not (isinstance(amount, int) and 0 < amount <= intent.amount):
        raise UserError(400, "amount_to_capture must be between 1 and the amount capturable")
    intent.latest_charge._capture(amount=amount, on_success=intent._on_success)
    return intent


def _cancel(id: str, cancellation_reason: Any = None, **unexpected: Any) -> Any:
    if unexpected:
        raise UserError(400, "Unexpected " + ", ".join(unexpected))
    if not (isinstance(id, str) and id.startswith("pi_")):
        raise UserError(400, "Bad request")
    if cancellation_reason is not None and cancellation_reason not in CANCELLATION_REASONS:
        raise UserError(400, "Invalid cancellation_reason")
    intent = resources.PaymentIntent._api_retrieve(id)
    if intent.status not in CANCELLABLE:
        raise _unexpected_state(intent, "canceled", CANCELLABLE)
    intent._canceled = True
    intent.next_action = None
    intent.canceled_at = int(time.time())
    intent.cancellation_reason = cancellation_reason
    _emit("payment_intent.canceled", intent)
    return intent


def _intent_init(original: Callable[..., None]) -> Callable[..., None]:
    def init(intent: Any, *args: Any, **kwargs: Any) -> None:
        original(intent, *args, **kwargs)
        intent.canceled_at = None
        intent.cancellation_reason = None

    return init


# -- Connect: accounts and transfers -------------------------------------------------

ACCOUNT_TYPES = frozenset({"custom", "express", "standard"})
CONNECT_CURRENCIES = frozenset({"usd", "eur", "gbp", "cad"})
# Idempotency-Key -> (what was asked, the object it made), per kind of object.
_idempotent: dict[tuple[str, str], tuple[dict[str, Any], Any]] = {}


def _once(kind: str, key: str | None, params: dict[str, Any], make: Callable[[], Any]) -> Any:
    """Stripe's idempotent create: the same key answers what it made the first time."""
    if not key:
        return make()
    seen = _idempotent.get((kind, key))
    if seen is not None:
        asked, made = seen
        if asked != params:
            refused = UserError(
                400,
                "Keys for idempotent requests can only be used with the same parameters "
                "they were first used with.",
            )
            refused.body["error"]["type"] = "idempotency_error"  # upstream sets only its own
            raise refused
        return made
    made = make()
    _idempotent[(kind, key)] = (params, made)
    return made


def _requested(capabilities: Any, name: str) -> bool:
    asked = (capabilities or {}).get(name) if isinstance(capabilities, dict) else None
    return isinstance(asked, dict) and resources.try_convert_to_bool(asked.get("requested")) is True


class Account(resources.StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(
        self,
        *,
        type: Any = None,
        country: Any = None,
        email: Any = None,
        capabilities: Any = None,
        metadata: Any = None,
        business_type: Any = None,
        **unexpected: Any,
    ) -> None:
        if unexpected:
            raise UserError(400, "Unexpected " + ", ".join(unexpected))
        if type not in ACCOUNT_TYPES:
            raise UserError(400, "type must be one of custom, express, standard", {"param": "type"})
        if country is not None and not (isinstance(country, str) and len(country) == 2):
            raise UserError(400, "country must be a two-letter code", {"param": "country"})
        if email is not None and not isinstance(email, str):
            raise UserError(400, "Bad request", {"param": "email"})
        if metadata is not None and not isinstance(metadata, dict):
            raise UserError(400, "Bad request", {"param": "metadata"})
        super().__init__()
        self.type = type
        self.country = (country or "US").upper()
        self.email = email
        self.business_type = business_type
        active = "active" if _requested(capabilities, "transfers") else "inactive"
        self.capabilities = {"transfers": active}
        self.charges_enabled = False
        self.payouts_enabled = active == "active"
        self.details_submitted = active == "active"
        self.metadata: dict[str, str] = dict(metadata or {})


class Transfer(resources.StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(
        self,
        *,
        amount: Any = None,
        currency: Any = None,
        destination: Any = None,
        metadata: Any = None,
        transfer_group: Any = None,
        description: Any = None,
        **unexpected: Any,
    ) -> None:
        if unexpected:
            raise UserError(400, "Unexpected " + ", ".join(unexpected))
        amount = resources.try_convert_to_int(amount)
        if not (isinstance(amount, int) and amount > 0):
            raise UserError(400, "amount must be a positive integer", {"param": "amount"})
        if not (isinstance(currency, str) and currency.lower() in CONNECT_CURRENCIES):
            raise UserError(400, "Invalid currency", {"param": "currency"})
        if metadata is not None and not isinstance(metadata, dict):
            raise UserError(400, "Bad request", {"param": "metadata"})
        if not isinstance(destination, str) or not destination:
            raise UserError(400, "Missing required param: destination.", {"param": "destination"})
        account = resources.store.get(f"account:{destination}")
        if account is None:
            raise UserError(
                400,
                f"No such destination: '{destination}'",
                {"code": "resource_missing", "param": "destination"},
            )
        if account.capabilities.get("transfers") != "active":
            raise UserError(
                400,
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                {"code": "insufficient_capabilities_for_transfer", "param": "destination"},
            )
        super().__init__()
        self.amount = amount
        self.amount_reversed = 0
        self.currency = currency.lower()
        self.destination = destination
        self.metadata: dict[str, str] = dict(metadata or {})
        self.transfer_group = transfer_group
        self.description = description
        self.reversed = False

    @classmethod
    def _api_list_all(
        cls,
        url: str,
        destination: Any = None,
        limit: Any = None,
        starting_after: Any = None,
        **unexpected: Any,
    ) -> Any:
        if unexpected:
            raise UserError(400, "Unexpected " + ", ".join(unexpected))
        found = super()._api_list_all(url, limit=limit, starting_after=starting_after)
        found._list = sorted(
            (t for t in found._list if destination in (None, t.destination)),
            key=lambda t: (t.created, t.id),
            reverse=True,
        )
        return found


# -- install --------------------------------------------------------------------------


def _routes(server: Any) -> list[web.RouteDef]:
    def _json(obj: Any) -> web.Response:
        return server.json_response(obj._export())

    async def body(request: web.Request) -> dict[str, Any]:
        data = await server.get_post_data(request) or {}
        data.pop("expand", None)
        return dict(data)

    async def retrieve(request: web.Request) -> web.Response:
        return _json(Dispute._api_retrieve(request.match_info["id"]))

    async def update(request: web.Request) -> web.Response:
        return _json(Dispute._api_update(request.match_info["id"], **await body(request)))

    async def close(request: web.Request) -> web.Response:
        return _json(Dispute._api_close(request.match_info["id"], **await body(request)))

    async def list_all(request: web.Request) -> web.Response:
        query = server.unflatten_data(request.query)
        query.pop("expand", None)
        return _json(Dispute._api_list_all("/v1/disputes", **query))

    async def dispute_charge(request: web.Request) -> web.Response:
        return _json(_dispute_charge(request.match_info["id"], **await body(request)))

    async def dispute_amount(request: web.Request) -> web.Response:
        return _json(Dispute._config_amount(request.match_info["id"], **await body(request)))

    def idempotency_key(request: web.Request) -> str | None:
        return request.headers.get("Idempotency-Key")

    async def create_account(request: web.Request) -> web.Response:
        params = await body(request)
        key = idempotency_key(request)
        return _json(_once("account", key, params, lambda: Account(**params)))

    async def retrieve_account(request: web.Request) -> web.Response:
        return _json(Account._api_retrieve(request.match_info["id"]))

    async def create_transfer(request: web.Request) -> web.Response:
        params = await body(request)
        key = idempotency_key(request)
        return _json(_once("transfer", key, params, lambda: Transfer(**params)))

    async def retrieve_transfer(request: web.Request) -> web.Response:
        return _json(Transfer._api_retrieve(request.match_info["id"]))

    async def list_transfers(request: web.Request) -> web.Response:
        query = server.unflatten_data(request.query)
        query.pop("expand", None)
        return _json(Transfer._api_list_all("/v1/transfers", **query))

    async def forget_webhook(request: web.Request) -> web.Response:
        webhooks._webhooks.pop(request.match_info["name"], None)
        return web.Response()

    return [
        web.post("/v1/accounts", create_account),
        web.get("/v1/accounts/{id}", retrieve_account),
        web.post("/v1/transfers", create_transfer),
        web.get("/v1/transfers", list_transfers),
        web.get("/v1/transfers/{id}", retrieve_transfer),
        web.get("/v1/disputes", list_all),
        web.get("/v1/disputes/{id}", retrieve),
        web.post("/v1/disputes/{id}", update),
        web.post("/v1/disputes/{id}/close", close),
        web.post("/_config/charges/{id}/dispute", dispute_charge),
        web.post("/_config/disputes/{id}", dispute_amount),
        web.delete("/_config/webhooks/{name}", forget_webhook),
    ]


def install() -> web.Application:
    """Patch localstripe's resources, then import its server: the extended app."""
    delivery = OrderedDelivery()
    resources.schedule_webhook = webhooks.schedule_webhook = delivery.schedule
    method = resources.PaymentMethod
    method._try_get_canonical_test_article = classmethod(
        _test_payment_method(method._try_get_canonical_test_article)
    )
    charge = resources.Charge
    charge._trigger_payment = _trigger_payment(charge._trigger_payment)
    charge.disputed = property(_charge_disputed)
    charge.amount_refunded = property(_amount_refunded)
    resources.Refund.__init__ = _refund_init(resources.Refund.__init__)
    intent = resources.PaymentIntent
    intent.__init__ = _intent_init(intent.__init__)
    intent._create_charge = _create_charge(intent._create_charge)
    intent.amount_capturable = property(_amount_capturable)
    intent.amount_received = property(_amount_received)
    # The server binds these when it is imported, from the list the resources filled.
    replaced = {
        "/v1/payment_intents/{id}/capture": _capture,
        "/v1/payment_intents/{id}/cancel": _cancel,
    }
    resources.extra_apis[:] = [
        (method, url, replaced.get(url, func)) for method, url, func in resources.extra_apis
    ]

    from localstripe import server  # noqa: PLC0415  (only once the patches are in)

    server.app.add_routes(_routes(server))
    return server.app
