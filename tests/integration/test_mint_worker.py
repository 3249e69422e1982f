"""The mint worker (issue 20) on moto and the local chain: a paid order of an NFT-enabled
event travels outbox -> bus -> the worker's rule and queue -> one batch transaction on a
real EVM; each ticket ends ``minted`` with its token held by its holder's custodial
address, once, whatever the queue redelivers and wherever the worker dies."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook
from web3 import Web3

from admitone.adapters.chain.evm import EvmChain
from admitone.adapters.queues import SqsQueues
from admitone.domain.errors import DependencyUnavailable
from admitone.domain.ids import Prefix, new_id
from admitone.domain.nft import MintPriority, MintState, token_id_for
from admitone.services import nft_minting
from admitone.services.wiring import chain, ports
from scripts.devstack.pollers import SqsPoller, sqs_event
from scripts.devstack.stack import LocalStack
from scripts.devstack.ticket_contract import Deployment, artifact
from tests.integration.chain.pool import held_in_the_pool, mine
from tests.integration.conftest import Api, AwsStack, InProcessRuntime
from tests.integration.gate_kit import Holder
from tests.integration.money_kit import ask_refund, dispute_object, order, stripe_webhook
from tests.integration.payments_kit import deliver_all, drain, intent_payload, stripe_event
from tests.integration.shop import Shop, iso, open_shop, pay
from tests.integration.test_notifier import bought_by_account, publish_outbox
from tests.integration.test_webhooks import Receiver, subscribe

MINT_WORKER = "MintWorkerFunction"
ZERO = "0x" + "00" * 20


class Killed(BaseException):
    """The worker's process dying: no handler catches it, nothing after it runs."""


@pytest.fixture
def deployment(aws: AwsStack, chain_url: str) -> Deployment:
    """The ticket contract on the local chain, the stack's minter key allowed to mint, and
    the worker's environment pointing at both (as scripts/run provisions them)."""
    aws.stack.secret_values = aws.provisioner.secret_values  # type: ignore[attr-defined]
    deployed = LocalStack.attach_chain(aws.stack, chain_url, "http://127.0.0.1:3000")
    assert deployed is not None
    return deployed


def _source(aws: AwsStack, name: str = "Queue") -> Any:
    """The worker's event source: ``Queue`` (the mint queue) or ``UrgentQueue``."""
    return next(
        s for s in aws.stack.sqs_sources() if s.function_id == MINT_WORKER and s.name == name
    )


def _queued(aws: AwsStack, queue_url: str | None = None) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url or _source(aws).queue_url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
    ).get("Messages", []):
        messages += batch
    return messages


def _run_worker(aws: AwsStack, names: tuple[str, ...] = ("UrgentQueue", "Queue")) -> None:
    """The worker on everything its event sources (``names``) hold, as their mappings would."""
    aws.use_function(MINT_WORKER)
    for name in names:
        source = _source(aws, name)
        poller = SqsPoller(source, InProcessRuntime(aws), aws.client("sqs"), None, print)  # type: ignore[arg-type]
        while poller.poll_once():
            pass


def _nft_shop(api: Api, aws: AwsStack, nft: bool = True) -> Shop:
    return open_shop(api, aws, event={"nft_enabled": nft})


def _contract(deployed: Deployment) -> Any:
    w3 = Web3(Web3.HTTPProvider(deployed.rpc_url))
    return w3, w3.eth.contract(address=deployed.address, abi=artifact()["abi"])


def _mints_of(deployed: Deployment, token_id: int) -> list[Any]:
    _, contract = _contract(deployed)
    return contract.events.Transfer().get_logs(
        from_block=0, argument_filters={"sender": ZERO, "token_id": token_id}
    )


def _minter_nonce(deployed: Deployment) -> int:
    w3, _ = _contract(deployed)
    return int(w3.eth.get_transaction_count(deployed.minter))


@pytest.fixture
def bought(api: Api, aws: AwsStack, deployment: Deployment) -> Holder:
    shop = _nft_shop(api, aws)
    holder = bought_by_account(shop, "nft-buyer@example.com", 3)
    publish_outbox(aws)
    return holder


def test_a_paid_order_of_an_nft_event_mints_each_ticket_to_its_holders_custodial_address(
    aws: AwsStack, deployment: Deployment, bought: Holder
):
    nonce_before = _minter_nonce(deployment)
    _run_worker(aws)

    _, contract = _contract(deployment)
    custodial = chain().holder_address(bought.user_id)
    records = ports().store.mints.of_tickets([t["id"] for t in bought.tickets])
    assert [r.state for r in records] == [MintState.MINTED] * 3
    assert len({r.tx_hash for r in records}) == 1  # one batch transaction
    for record in records:
        assert record.token_id == token_id_for(record.ticket_id)
        assert record.holder_address == custodial
        assert record.contract == deployment.address
        assert (record.chain, record.attempts) == ("polygon", 1)
        assert contract.functions.ownerOf(record.token_id).call() == custodial
    assert _minter_nonce(deployment) == nonce_before + 1
    minted_events = [
        item
        for item in ports().store.outbox.pending(limit=100)
        if item.event_type == "ticket.minted"
    ]
    assert sorted(e.detail["data"]["ticket_id"] for e in minted_events) == sorted(
        t["id"] for t in bought.tickets
    )


def test_the_same_message_delivered_again_and_again_mints_nothing_more(
    aws: AwsStack, deployment: Deployment, bought: Holder
):
    (message,) = _queued(aws)
    for _ in range(3):
        assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {
            "batchItemFailures": []
        }
    nonce = _minter_nonce(deployment)
    records = ports().store.mints.of_tickets([t["id"] for t in bought.tickets])

    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {"batchItemFailures": []}

    assert _minter_nonce(deployment) == nonce
    assert ports().store.mints.of_tickets([t["id"] for t in bought.tickets]) == records
    for record in records:
        assert len(_mints_of(deployment, record.token_id)) == 1


def test_a_worker_killed_between_sending_and_recording_leaves_one_token_per_ticket(
    aws: AwsStack, deployment: Deployment, bought: Holder, monkeypatch: pytest.MonkeyPatch
):
    (message,) = _queued(aws)
    real_send = EvmChain.send

    def send_then_die(self: EvmChain, transaction: Any) -> None:
        real_send(self, transaction)
        raise Killed

    monkeypatch.setattr(EvmChain, "send", send_then_die)
    with pytest.raises(Killed):
        aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message]))
    ticket_ids = [t["id"] for t in bought.tickets]
    in_flight = ports().store.mints.of_tickets(ticket_ids)
    assert [r.state for r in in_flight] == [MintState.MINTING] * 3
    sent_hash = in_flight[0].tx_hash
    monkeypatch.setattr(EvmChain, "send", real_send)
    nonce = _minter_nonce(deployment)

    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {"batchItemFailures": []}

    records = ports().store.mints.of_tickets(ticket_ids)
    assert [r.state for r in records] == [MintState.MINTED] * 3
    assert {r.tx_hash for r in records} == {sent_hash}  # the transaction the dead worker sent
    assert _minter_nonce(deployment) == nonce  # nothing sent again
    for record in records:
        assert len(_mints_of(deployment, record.token_id)) == 1


def test_the_holder_reads_each_mint_state_on_the_ticket(
    api: Api, aws: AwsStack, deployment: Deployment, bought: Holder, monkeypatch: pytest.MonkeyPatch
):
    ticket_id = bought.tickets[0]["id"]

    def nft() -> Any:
        response = api.get(f"/tickets/{ticket_id}", token=bought.token)
        assert response.status == 200, response.body
        return response.json()["nft"]

    queued = nft()  # paid, the worker not run yet
    assert (queued["state"], queued["token_id"]) == ("queued", str(token_id_for(ticket_id)))
    assert (queued["chain"], queued["holder_address"], queued["tx_hash"]) == (None, None, None)
    (message,) = _queued(aws)
    real_send = EvmChain.send

    def send_then_die(self: EvmChain, transaction: Any) -> None:
        real_send(self, transaction)
        raise Killed

    monkeypatch.setattr(EvmChain, "send", send_then_die)
    with pytest.raises(Killed):
        aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message]))
    in_flight = nft()
    assert (in_flight["state"], in_flight["priority"]) == ("minting", "standard")
    assert in_flight["token_id"] == str(token_id_for(ticket_id))
    assert in_flight["tx_hash"].startswith("0x")
    monkeypatch.setattr(EvmChain, "send", real_send)

    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {"batchItemFailures": []}

    done = nft()
    assert done["state"] == "minted"
    assert (done["tx_hash"], done["token_id"]) == (in_flight["tx_hash"], in_flight["token_id"])
    assert done["contract"] == deployment.address
    _, contract = _contract(deployment)
    assert contract.functions.ownerOf(int(done["token_id"])).call() == done["holder_address"]


def _order_nfts(api: Api, holder: Holder) -> dict[str, Any]:
    shown = api.get(f"/orders/{holder.order_id}", token=holder.token)
    assert shown.status == 200, shown.body
    return {t["id"]: t["nft"] for t in shown.json()["tickets"]}


def test_the_order_shows_each_tickets_mint_state(
    api: Api, aws: AwsStack, deployment: Deployment, bought: Holder
):
    ticket_ids = [t["id"] for t in bought.tickets]
    queued = _order_nfts(api, bought)
    assert sorted(queued) == sorted(ticket_ids)
    assert {t: (n["state"], n["token_id"]) for t, n in queued.items()} == {
        t: ("queued", str(token_id_for(t))) for t in ticket_ids
    }

    _run_worker(aws)

    minted = _order_nfts(api, bought)
    custodial = chain().holder_address(bought.user_id)
    (tx_hash,) = {n["tx_hash"] for n in minted.values()}
    assert {(n["state"], n["holder_address"], n["contract"]) for n in minted.values()} == {
        ("minted", custodial, deployment.address)
    }
    _, contract = _contract(deployment)
    assert all(
        contract.functions.ownerOf(int(n["token_id"])).call() == custodial for n in minted.values()
    )
    assert tx_hash.startswith("0x")
    refunded = ticket_ids[0]
    asked = ask_refund(api, bought.order_id, bought.token, {"ticket_ids": [refunded]})
    assert asked.status == 201, asked.body
    publish_outbox(aws)
    _run_worker(aws)
    after = _order_nfts(api, bought)
    assert after[refunded]["state"] == "burned"
    assert {after[t]["state"] for t in ticket_ids[1:]} == {"minted"}


def test_a_subscribed_webhook_endpoint_receives_ticket_minted_once_per_ticket(
    api: Api, aws: AwsStack, deployment: Deployment
):
    receiver = Receiver()
    try:
        shop = _nft_shop(api, aws)
        endpoint = subscribe(shop, receiver.url, ["ticket.minted"])
        holder = bought_by_account(shop, "hooked@example.com", 2)
        publish_outbox(aws)
        _run_worker(aws)
        publish_outbox(aws)  # the worker's ticket.minted items, onto the bus

        dispatcher = next(
            s for s in aws.stack.sqs_sources() if s.function_id == "WebhookDispatcherFunction"
        )
        delivered = _queued(aws, dispatcher.queue_url)  # every event the webhooks rule routed
        assert "ticket.minted" in {json.loads(m["Body"])["detail-type"] for m in delivered}
        for _ in range(2):  # the queue delivering everything twice
            result = aws.invoke("WebhookDispatcherFunction", sqs_event(dispatcher, delivered))
            assert result == {"batchItemFailures": []}

        bodies = [Webhook(endpoint["secret"]).verify(b, h) for h, b in receiver.received]
        assert [b["type"] for b in bodies] == ["ticket.minted"] * 2
        records = {
            r.ticket_id: r
            for r in ports().store.mints.of_tickets([t["id"] for t in holder.tickets])
        }
        assert {b["data"]["ticket_id"] for b in bodies} == set(records)
        for body in bodies:
            minted = records[body["data"]["ticket_id"]]
            assert body["data"]["order_id"] == holder.order_id
            assert body["data"]["token_id"] == str(minted.token_id)
            assert body["data"]["tx_hash"] == minted.tx_hash
            assert body["data"]["holder_address"] == chain().holder_address(holder.user_id)
    finally:
        receiver.server.shutdown()


def test_a_chain_refusing_three_attempts_fails_the_tickets_with_a_reason_and_a_dead_letter(
    api: Api, aws: AwsStack, deployment: Deployment, bought: Holder, monkeypatch: pytest.MonkeyPatch
):
    (message,) = _queued(aws)
    monkeypatch.setattr(EvmChain, "_market", lambda self: (10**15, 10**9))  # 1M gwei base fee
    backoffs: list[timedelta] = []
    real_retry = SqsQueues.retry_message_in

    def retry_in(self: SqsQueues, queue_arn: str, handle: str, delay: timedelta) -> None:
        backoffs.append(delay)
        real_retry(self, queue_arn, handle, delay)

    monkeypatch.setattr(SqsQueues, "retry_message_in", retry_in)
    failures, attempts = [], []
    for _ in range(4):
        result = aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message]))
        failures.append(result["batchItemFailures"] == [{"itemIdentifier": message["MessageId"]}])
        record = ports().store.mints.get(bought.tickets[0]["id"])
        assert record is not None
        attempts.append(record.attempts)

    assert failures == [True, True, True, False]
    assert attempts == [1, 2, 3, 3]
    assert backoffs == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    ticket_ids = [t["id"] for t in bought.tickets]
    records = ports().store.mints.of_tickets(ticket_ids)
    assert [r.state for r in records] == [MintState.FAILED] * 3
    assert all("3 attempts" in (r.reason or "") and "base fee" in (r.reason or "") for r in records)
    shown = api.get(f"/tickets/{ticket_ids[0]}", token=bought.token).json()["nft"]
    assert shown["state"] == "failed"
    assert "base fee" in shown["reason"]
    dead = _queued(aws, aws.stack.get_att("MintDLQ", "QueueUrl"))
    assert [json.loads(m["Body"])["detail"]["data"]["order_id"] for m in dead] == [bought.order_id]


def _waits(aws: AwsStack, monkeypatch: pytest.MonkeyPatch, *, receipt: int, replace: int) -> None:
    """The worker's waits (seconds): for a receipt within an attempt, and before it replaces
    a transaction still unmined (settings the template leaves at their defaults)."""
    assert "CHAIN_REPLACE_AFTER_SECONDS" not in aws.stack.function(MINT_WORKER).environment
    monkeypatch.setenv("CHAIN_RECEIPT_WAIT_SECONDS", str(receipt))
    monkeypatch.setenv("CHAIN_REPLACE_AFTER_SECONDS", str(replace))


def _stuck_mint(
    aws: AwsStack, deployment: Deployment, bought: Holder, message: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The worker sends the order's mint and the chain holds it unmined: its hash, and the
    transaction as the pool holds it."""
    failed = {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == failed
    records = ports().store.mints.of_tickets([t["id"] for t in bought.tickets])
    assert {(r.state, r.attempts) for r in records} == {(MintState.MINTING, 1)}
    (stuck,) = {r.tx_hash for r in records}
    assert stuck is not None
    w3, _ = _contract(deployment)
    pooled = dict(w3.eth.get_transaction(stuck))
    assert pooled["blockNumber"] is None
    return stuck, pooled


def test_a_stuck_mint_is_replaced_after_the_timeout_with_a_higher_fee_and_mints_once(
    aws: AwsStack, deployment: Deployment, bought: Holder, monkeypatch: pytest.MonkeyPatch
):
    (message,) = _queued(aws)
    ticket_ids = [t["id"] for t in bought.tickets]
    nonce = _minter_nonce(deployment)
    w3, _ = _contract(deployment)
    failed = {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    _waits(aws, monkeypatch, receipt=1, replace=3600)
    with held_in_the_pool(deployment.rpc_url):
        stuck, pooled = _stuck_mint(aws, deployment, bought, message)

        # Before the timeout the worker waits for it: nothing new is sent beside it.
        assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == failed
        assert {r.tx_hash for r in ports().store.mints.of_tickets(ticket_ids)} == {stuck}
        assert w3.eth.get_transaction_count(deployment.minter, "pending") == nonce + 1
        assert w3.eth.get_transaction(stuck)["blockNumber"] is None

        _waits(aws, monkeypatch, receipt=1, replace=1)
        time.sleep(1)  # the stuck transaction is older than the timeout now
        assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == failed
        replacing = ports().store.mints.of_tickets(ticket_ids)
        (replacement,) = {r.tx_hash for r in replacing}
        assert replacement not in (None, stuck)
        assert {(r.state, r.nonce, r.attempts) for r in replacing} == {
            (MintState.MINTING, nonce, 1)
        }
        sent = w3.eth.get_transaction(replacement)
        assert sent["nonce"] == pooled["nonce"] == nonce
        assert sent["maxFeePerGas"] * 10 >= pooled["maxFeePerGas"] * 11
        assert sent["maxPriorityFeePerGas"] * 10 >= pooled["maxPriorityFeePerGas"] * 11
        mine(deployment.rpc_url)

    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {"batchItemFailures": []}

    records = ports().store.mints.of_tickets(ticket_ids)
    assert {(r.state, r.tx_hash) for r in records} == {(MintState.MINTED, replacement)}
    assert _minter_nonce(deployment) == nonce + 1  # one transaction mined, at one nonce
    for record in records:
        assert len(_mints_of(deployment, record.token_id)) == 1


def test_a_stuck_mint_mined_after_all_is_recognised_though_its_replacement_was_recorded(
    aws: AwsStack, deployment: Deployment, bought: Holder, monkeypatch: pytest.MonkeyPatch
):
    (message,) = _queued(aws)
    ticket_ids = [t["id"] for t in bought.tickets]
    nonce = _minter_nonce(deployment)
    _waits(aws, monkeypatch, receipt=1, replace=1)
    with held_in_the_pool(deployment.rpc_url):
        stuck, _ = _stuck_mint(aws, deployment, bought, message)
        time.sleep(1)

        real_send = EvmChain.send

        def die_before_sending(self: EvmChain, transaction: Any) -> None:
            raise Killed

        monkeypatch.setattr(EvmChain, "send", die_before_sending)
        with pytest.raises(Killed):  # the replacement recorded, never sent
            aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message]))
        monkeypatch.setattr(EvmChain, "send", real_send)
        replacing = ports().store.mints.of_tickets(ticket_ids)
        assert {r.tx_hash for r in replacing} != {stuck}
        mine(deployment.rpc_url)  # the stuck transaction is the one the chain mines

    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {"batchItemFailures": []}

    records = ports().store.mints.of_tickets(ticket_ids)
    assert {(r.state, r.tx_hash) for r in records} == {(MintState.MINTED, stuck)}
    assert _minter_nonce(deployment) == nonce + 1
    for record in records:
        assert len(_mints_of(deployment, record.token_id)) == 1


def test_the_chain_failing_on_one_orders_earlier_attempt_retries_that_order_alone(
    api: Api,
    aws: AwsStack,
    deployment: Deployment,
    bought: Holder,
    monkeypatch: pytest.MonkeyPatch,
):
    other = bought_by_account(_nft_shop(api, aws), "unaffected@example.com", 2)
    publish_outbox(aws)
    messages = _queued(aws)
    earlier, unaffected = _message_of(messages, bought), _message_of(messages, other)
    real_send, real_receipt = EvmChain.send, EvmChain.receipt

    def send_then_die(self: EvmChain, transaction: Any) -> None:
        real_send(self, transaction)
        raise Killed

    monkeypatch.setattr(EvmChain, "send", send_then_die)
    with pytest.raises(Killed):
        aws.invoke(MINT_WORKER, sqs_event(_source(aws), [earlier]))
    monkeypatch.setattr(EvmChain, "send", real_send)
    (sent,) = {r.tx_hash for r in ports().store.mints.of_tickets([t["id"] for t in bought.tickets])}

    def receipt_unreachable_for_the_earlier_attempt(self: EvmChain, tx_hash: str) -> Any:
        if tx_hash == sent:
            raise DependencyUnavailable("The chain is unavailable.")
        return real_receipt(self, tx_hash)

    monkeypatch.setattr(EvmChain, "receipt", receipt_unreachable_for_the_earlier_attempt)
    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [earlier, unaffected])) == {
        "batchItemFailures": [{"itemIdentifier": earlier["MessageId"]}]
    }
    others = ports().store.mints.of_tickets([t["id"] for t in other.tickets])
    assert {r.state for r in others} == {MintState.MINTED}
    waiting = ports().store.mints.of_tickets([t["id"] for t in bought.tickets])
    assert {(r.state, r.tx_hash) for r in waiting} == {(MintState.MINTING, sent)}

    monkeypatch.setattr(EvmChain, "receipt", real_receipt)
    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [earlier])) == {"batchItemFailures": []}
    settled = ports().store.mints.of_tickets([t["id"] for t in bought.tickets])
    assert {(r.state, r.tx_hash) for r in settled} == {(MintState.MINTED, sent)}
    for record in settled + others:
        assert len(_mints_of(deployment, record.token_id)) == 1


def _urgent_shop(api: Api, aws: AwsStack) -> Shop:
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=12)
    return _nft_shop_starting(api, aws, soon)


def _nft_shop_starting(api: Api, aws: AwsStack, starts_at: datetime) -> Shop:
    return open_shop(
        api,
        aws,
        event={
            "nft_enabled": True,
            "starts_at": iso(starts_at),
            "ends_at": iso(starts_at + timedelta(hours=2)),
            "sales_end": iso(starts_at),
        },
    )


def _message_of(messages: list[dict[str, Any]], holder: Holder) -> dict[str, Any]:
    return next(
        m
        for m in messages
        if json.loads(m["Body"])["detail"]["data"]["order_id"] == holder.order_id
    )


def test_orders_delivered_together_are_minted_in_one_transaction(
    api: Api, aws: AwsStack, deployment: Deployment, bought: Holder
):
    other = bought_by_account(_nft_shop(api, aws), "second-buyer@example.com", 2)
    publish_outbox(aws)
    messages = _queued(aws)
    assert len(messages) == 2
    nonce = _minter_nonce(deployment)

    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), messages)) == {"batchItemFailures": []}

    records = ports().store.mints.of_tickets([t["id"] for t in bought.tickets + other.tickets])
    assert [r.state for r in records] == [MintState.MINTED] * 5
    assert len({r.tx_hash for r in records}) == 1
    assert _minter_nonce(deployment) == nonce + 1


def test_urgent_tickets_go_into_the_first_transaction_whatever_order_they_came_in(
    api: Api,
    aws: AwsStack,
    deployment: Deployment,
    bought: Holder,
    monkeypatch: pytest.MonkeyPatch,
):
    urgent = bought_by_account(_urgent_shop(api, aws), "tonight@example.com", 3)
    high = bought_by_account(
        _nft_shop_starting(api, aws, datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)),
        "soon@example.com",
        1,
    )
    publish_outbox(aws)
    messages = _queued(aws) + _queued(aws, _source(aws, "UrgentQueue").queue_url)
    # Standard first, then high, then urgent: the order one delivery may well hold them in.
    delivered = [_message_of(messages, h) for h in (bought, high, urgent)]
    monkeypatch.setattr(nft_minting, "MAX_MINT_BATCH", 3)
    nonce = _minter_nonce(deployment)

    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), delivered)) == {"batchItemFailures": []}

    def minted_of(holder: Holder) -> list[Any]:
        return ports().store.mints.of_tickets([t["id"] for t in holder.tickets])

    assert {(r.priority, r.nonce) for r in minted_of(urgent)} == {(MintPriority.URGENT, nonce)}
    assert {(r.priority, r.nonce) for r in minted_of(high)} == {(MintPriority.HIGH, nonce + 1)}
    assert {(r.priority, r.nonce) for r in minted_of(bought)} == {
        (MintPriority.STANDARD, nonce + 1),
        (MintPriority.STANDARD, nonce + 2),
    }
    assert all(r.state is MintState.MINTED for h in (urgent, high, bought) for r in minted_of(h))


def _of_kind(aws: AwsStack, detail_type: str) -> list[dict[str, Any]]:
    return [m for m in _queued(aws) if json.loads(m["Body"])["detail-type"] == detail_type]


def test_a_transferred_tickets_token_moves_to_the_recipient_once_though_the_worker_died(
    api: Api, aws: AwsStack, deployment: Deployment, bought: Holder, monkeypatch: pytest.MonkeyPatch
):
    _run_worker(aws)
    ticket_id = bought.tickets[0]["id"]
    moved = api.post(
        f"/tickets/{ticket_id}/transfer",
        {"email": "friend@example.com", "name": "Friend"},
        token=bought.token,
    )
    assert moved.status == 200, moved.body
    publish_outbox(aws)
    (message,) = _of_kind(aws, "ticket.transferred")
    recipient = ports().store.tickets.get(ticket_id)
    assert recipient is not None
    friend = chain().holder_address(recipient.holder_id)
    assert friend != chain().holder_address(bought.user_id)
    real_send = EvmChain.send

    def send_then_die(self: EvmChain, transaction: Any) -> None:
        real_send(self, transaction)
        raise Killed

    monkeypatch.setattr(EvmChain, "send", send_then_die)
    with pytest.raises(Killed):
        aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message]))
    monkeypatch.setattr(EvmChain, "send", real_send)
    nonce = _minter_nonce(deployment)

    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {"batchItemFailures": []}
    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {"batchItemFailures": []}

    _, contract = _contract(deployment)
    record = ports().store.mints.get(ticket_id)
    assert record is not None
    assert contract.functions.ownerOf(record.token_id).call() == friend
    assert (record.state, record.holder_address, record.move_tx_hash) == (
        MintState.MINTED,
        friend,
        None,
    )
    assert _minter_nonce(deployment) == nonce  # the dead worker's transfer was the only one
    others = ports().store.mints.of_tickets([t["id"] for t in bought.tickets[1:]])
    assert {contract.functions.ownerOf(r.token_id).call() for r in others} == {
        chain().holder_address(bought.user_id)
    }


def test_a_refunded_tickets_token_is_burned_and_the_ticket_says_so(
    api: Api, aws: AwsStack, deployment: Deployment, bought: Holder
):
    _run_worker(aws)
    refunded, kept = bought.tickets[0]["id"], bought.tickets[1]["id"]
    asked = ask_refund(api, bought.order_id, bought.token, {"ticket_ids": [refunded]})
    assert asked.status == 201, asked.body
    publish_outbox(aws)
    (message,) = _of_kind(aws, "order.refunded")

    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {"batchItemFailures": []}

    assert chain().owner_of(token_id_for(refunded)) is None
    assert chain().owner_of(token_id_for(kept)) == chain().holder_address(bought.user_id)
    shown = api.get(f"/tickets/{refunded}", token=bought.token).json()["nft"]
    assert (shown["state"], shown["token_id"]) == ("burned", str(token_id_for(refunded)))
    assert api.get(f"/tickets/{kept}", token=bought.token).json()["nft"]["state"] == "minted"


def test_a_lost_disputes_voided_tickets_have_their_tokens_burned(
    api: Api, aws: AwsStack, deployment: Deployment, bought: Holder
):
    _run_worker(aws)
    total = order(bought.order_id).totals.total
    stripe_webhook(aws, "charge.dispute.created", dispute_object(bought.order_id, total))
    stripe_webhook(
        aws, "charge.dispute.closed", dispute_object(bought.order_id, total, status="lost")
    )
    publish_outbox(aws)
    (message,) = _of_kind(aws, "order.charged_back")

    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {"batchItemFailures": []}

    for ticket in bought.tickets:
        assert chain().owner_of(token_id_for(ticket["id"])) is None
        shown = api.get(f"/tickets/{ticket['id']}", token=bought.token).json()
        assert (shown["status"], shown["nft"]["state"]) == ("void", "burned")
    assert {len(_transfers_of(deployment, token_id_for(t["id"]))) for t in bought.tickets} == {2}


def test_an_order_of_an_event_without_nfts_mints_nothing(
    api: Api, aws: AwsStack, deployment: Deployment
):
    shop = _nft_shop(api, aws, nft=False)
    holder = bought_by_account(shop, "plain@example.com", 2)
    publish_outbox(aws)
    nonce = _minter_nonce(deployment)

    _run_worker(aws)

    assert ports().store.mints.of_tickets([t["id"] for t in holder.tickets]) == []
    assert _minter_nonce(deployment) == nonce
    for ticket in holder.tickets:
        shown = api.get(f"/tickets/{ticket['id']}", token=holder.token)
        assert shown.status == 200, shown.body
        assert shown.json()["nft"] is None
    assert _order_nfts(api, holder) == {t["id"]: None for t in holder.tickets}


def test_the_sample_event_names_an_event_that_mints_nothing(aws: AwsStack, deployment: Deployment):
    assert aws.invoke_sample("MintWorkerFunction", "unknown_event") == {"batchItemFailures": []}


# ---------------------------------------------------------------- custody moves on the chain
# A transfer moves the token to the recipient's custodial address; a refund burns it (None).
CUSTODY_MOVES = ["transfer", "refund"]


def _custody_message(
    api: Api, aws: AwsStack, bought: Holder, move: str
) -> tuple[dict[str, Any], str, str | None]:
    """The minted order's first ticket transferred to a friend, or refunded: the mint
    queue's message about it, the ticket, and where its token belongs now."""
    _run_worker(aws)
    ticket_id = bought.tickets[0]["id"]
    if move == "transfer":
        moved = api.post(
            f"/tickets/{ticket_id}/transfer",
            {"email": f"friend-{ticket_id[-6:].lower()}@example.com", "name": "Friend"},
            token=bought.token,
        )
        assert moved.status == 200, moved.body
    else:
        asked = ask_refund(api, bought.order_id, bought.token, {"ticket_ids": [ticket_id]})
        assert asked.status == 201, asked.body
    publish_outbox(aws)
    kind = "ticket.transferred" if move == "transfer" else "order.refunded"
    (message,) = _of_kind(aws, kind)
    ticket = ports().store.tickets.get(ticket_id)
    assert ticket is not None
    target = chain().holder_address(ticket.holder_id) if move == "transfer" else None
    return message, ticket_id, target


def _transfers_of(deployed: Deployment, token_id: int) -> list[Any]:
    _, contract = _contract(deployed)
    return contract.events.Transfer().get_logs(
        from_block=0, argument_filters={"token_id": token_id}
    )


def _assert_moved_once(deployed: Deployment, ticket_id: str, target: str | None) -> None:
    """The token is where its ticket says, through exactly one custody transfer after its
    mint; the record says so and names no transaction under way."""
    record = ports().store.mints.get(ticket_id)
    assert record is not None
    assert chain().owner_of(record.token_id) == target
    transfers = _transfers_of(deployed, record.token_id)
    assert [t["args"]["sender"] for t in transfers][:1] == [ZERO]
    assert [t["args"]["receiver"] for t in transfers[1:]] == [target or ZERO]
    assert (record.move_tx_hash, record.move_attempts) == (None, 0)
    if target is None:
        assert record.state is MintState.BURNED
    else:
        assert (record.state, record.holder_address) == (MintState.MINTED, target)


@pytest.mark.parametrize("move", CUSTODY_MOVES)
def test_a_stuck_custody_move_is_replaced_after_the_timeout_with_a_higher_fee_and_moves_once(
    *,
    api: Api,
    aws: AwsStack,
    deployment: Deployment,
    bought: Holder,
    monkeypatch: pytest.MonkeyPatch,
    move: str,
):
    message, ticket_id, target = _custody_message(api, aws, bought, move)
    nonce = _minter_nonce(deployment)
    w3, _ = _contract(deployment)
    failed = {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    _waits(aws, monkeypatch, receipt=1, replace=3600)
    with held_in_the_pool(deployment.rpc_url):
        assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == failed
        sent = ports().store.mints.get(ticket_id)
        assert sent is not None
        stuck = sent.move_tx_hash
        assert stuck is not None
        assert sent.move_attempts == 1
        pooled = dict(w3.eth.get_transaction(stuck))
        assert pooled["blockNumber"] is None

        # Before the timeout the worker waits for it: nothing new is sent beside it.
        assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == failed
        waiting = ports().store.mints.get(ticket_id)
        assert waiting is not None
        assert waiting.move_tx_hash == stuck
        assert w3.eth.get_transaction_count(deployment.minter, "pending") == nonce + 1

        _waits(aws, monkeypatch, receipt=1, replace=1)
        time.sleep(1)  # the stuck transaction is older than the timeout now
        assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == failed
        replacing = ports().store.mints.get(ticket_id)
        assert replacing is not None
        replacement = replacing.move_tx_hash
        assert replacement not in (None, stuck)
        assert replacing.move_attempts == 1  # the same attempt outbidding itself
        outbid = w3.eth.get_transaction(replacement)
        assert outbid["nonce"] == pooled["nonce"] == nonce
        assert outbid["maxFeePerGas"] * 10 >= pooled["maxFeePerGas"] * 11
        assert outbid["maxPriorityFeePerGas"] * 10 >= pooled["maxPriorityFeePerGas"] * 11
        assert w3.eth.get_transaction_count(deployment.minter, "pending") == nonce + 1
        mine(deployment.rpc_url)

    assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {"batchItemFailures": []}

    assert w3.eth.get_transaction_receipt(replacement)["status"] == 1
    assert _minter_nonce(deployment) == nonce + 1  # one transaction mined, at one nonce
    _assert_moved_once(deployment, ticket_id, target)


@pytest.mark.parametrize("move", ["mint", *CUSTODY_MOVES])
def test_a_fee_cap_stopping_the_replacement_spends_attempts_then_fails_with_a_dead_letter(
    *,
    api: Api,
    aws: AwsStack,
    deployment: Deployment,
    bought: Holder,
    monkeypatch: pytest.MonkeyPatch,
    move: str,
):
    if move == "mint":
        (message,) = _queued(aws)
        ticket_id = bought.tickets[0]["id"]
    else:
        message, ticket_id, _ = _custody_message(api, aws, bought, move)
    nonce = _minter_nonce(deployment)
    w3, _ = _contract(deployment)
    # A base fee of 600 gwei: the first transaction goes out at the cap (1000 gwei per gas,
    # CHAIN_MAX_FEE_GWEI's default), so no replacement can outbid it under the cap.
    monkeypatch.setattr(EvmChain, "_market", lambda self: (600 * 10**9, 10**9))
    failed = {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    _waits(aws, monkeypatch, receipt=1, replace=1)
    with held_in_the_pool(deployment.rpc_url):
        spent = []
        for _ in range(2):
            assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == failed
            record = ports().store.mints.get(ticket_id)
            assert record is not None
            spent.append(record.attempts_made)
            time.sleep(1)  # past the replacement timeout

        assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {
            "batchItemFailures": []
        }

        record = ports().store.mints.get(ticket_id)
        assert record is not None
        assert spent == [1, 2]
        assert record.state is MintState.FAILED
        assert (record.move_attempts if move != "mint" else record.attempts) == 3
        assert "3 attempts: replacing nonce" in (record.reason or "")
        assert "over the cap" in (record.reason or "")
        # Only the first transaction went out: the cap stopped every replacement.
        assert w3.eth.get_transaction_count(deployment.minter, "pending") == nonce + 1
    if move != "transfer":  # a transferred ticket is the recipient's to read
        shown = api.get(f"/tickets/{ticket_id}", token=bought.token).json()["nft"]
        assert (shown["state"], "over the cap" in shown["reason"]) == ("failed", True)
    dead = _queued(aws, aws.stack.get_att("MintDLQ", "QueueUrl"))
    assert [m["Body"] for m in dead] == [message["Body"]]


@pytest.mark.parametrize("move", CUSTODY_MOVES)
def test_a_custody_move_recorded_but_never_sent_is_sent_on_redelivery_once(
    *,
    api: Api,
    aws: AwsStack,
    deployment: Deployment,
    bought: Holder,
    monkeypatch: pytest.MonkeyPatch,
    move: str,
):
    message, ticket_id, target = _custody_message(api, aws, bought, move)
    real_send = EvmChain.send

    def die_before_sending(self: EvmChain, transaction: Any) -> None:
        raise Killed

    monkeypatch.setattr(EvmChain, "send", die_before_sending)
    with pytest.raises(Killed):
        aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message]))
    monkeypatch.setattr(EvmChain, "send", real_send)
    recorded = ports().store.mints.get(ticket_id)
    assert recorded is not None
    assert recorded.move_tx_hash is not None  # recorded; the chain never saw it
    assert chain().receipt(recorded.move_tx_hash) is None
    assert chain().unmined(recorded.move_tx_hash) is None
    nonce = _minter_nonce(deployment)

    for _ in range(2):  # and once more: nothing further is sent
        assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {
            "batchItemFailures": []
        }

    assert _minter_nonce(deployment) == nonce + 1  # sent once, on redelivery
    _assert_moved_once(deployment, ticket_id, target)
    others = ports().store.mints.of_tickets([t["id"] for t in bought.tickets[1:]])
    assert {chain().owner_of(r.token_id) for r in others} == {
        chain().holder_address(bought.user_id)
    }
    for record in others:
        assert len(_transfers_of(deployment, record.token_id)) == 1


# ---------------------------------------------------------------- a resale moves the token
def test_a_resold_tickets_token_moves_to_the_buyers_custodial_address_once(
    api: Api, aws: AwsStack, deployment: Deployment, bought: Holder
):
    """Issue 19's escrow funding reissues the ticket to the buyer and announces
    ``ticket.transferred``; the worker moves its token to the buyer's custodial address,
    once, however often the message is delivered."""
    _run_worker(aws)
    ticket_id = bought.tickets[0]["id"]
    listed = api.post(f"/tickets/{ticket_id}/listings", {"price_cents": 5000}, token=bought.token)
    assert listed.status == 201, listed.body
    buyer_id = new_id(Prefix.USER)
    buyer_token = aws.access_token(buyer_id, "buyer", email=f"{buyer_id}@example.com")
    purchase = api.post(
        f"/listings/{listed.json()['listing_id']}/purchase",
        token=buyer_token,
        headers={"Idempotency-Key": f"resale-{ticket_id}"},
    )
    assert purchase.status == 201, purchase.body
    intent_id = purchase.json()["payment"]["payment_intent_id"]
    assert pay(intent_id).status == "requires_capture"
    funded = stripe_event(
        "payment_intent.amount_capturable_updated", intent_payload(intent_id), f"evt_{intent_id}"
    )
    deliver_all(aws, [funded])
    drain(aws)
    ticket = ports().store.tickets.get(ticket_id)
    assert ticket is not None
    assert ticket.holder_id == buyer_id
    publish_outbox(aws)
    (message,) = _of_kind(aws, "ticket.transferred")
    buyer = chain().holder_address(buyer_id)
    assert buyer != chain().holder_address(bought.user_id)

    for _ in range(2):  # delivered again: nothing more moves
        assert aws.invoke(MINT_WORKER, sqs_event(_source(aws), [message])) == {
            "batchItemFailures": []
        }

    _assert_moved_once(deployment, ticket_id, buyer)
    shown = api.get(f"/tickets/{ticket_id}", token=buyer_token)
    assert shown.status == 200, shown.body
    assert shown.json()["nft"]["state"] == "minted"
    others = ports().store.mints.of_tickets([t["id"] for t in bought.tickets[1:]])
    assert {chain().owner_of(r.token_id) for r in others} == {
        chain().holder_address(bought.user_id)
    }


# ---------------------------------------------------------------- priorities across a backlog
def _order_ids(messages: list[dict[str, Any]]) -> set[str]:
    return {json.loads(m["Body"])["detail"]["data"]["order_id"] for m in messages}


def _visible(aws: AwsStack, name: str) -> int:
    attributes = aws.client("sqs").get_queue_attributes(
        QueueUrl=_source(aws, name).queue_url,
        AttributeNames=["ApproximateNumberOfMessages"],
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_an_urgent_mint_is_handled_from_its_own_queue_while_a_standard_backlog_waits(
    api: Api, aws: AwsStack, deployment: Deployment
):
    """More standard orders than one delivery holds wait in the mint queue; the urgent
    order paid after them is routed to the urgent queue and minted without touching them."""
    shop = _nft_shop(api, aws)
    backlog = [bought_by_account(shop, f"backlog-{n}@example.com", 1) for n in range(11)]
    urgent = bought_by_account(_urgent_shop(api, aws), "tonight-backlog@example.com", 2)
    plain = bought_by_account(_nft_shop(api, aws, nft=False), "plain-backlog@example.com", 1)
    publish_outbox(aws)
    assert (_visible(aws, "Queue"), _visible(aws, "UrgentQueue")) == (11, 1)

    _run_worker(aws, ("UrgentQueue",))

    urgent_records = ports().store.mints.of_tickets([t["id"] for t in urgent.tickets])
    assert [(r.state, r.priority) for r in urgent_records] == [
        (MintState.MINTED, MintPriority.URGENT)
    ] * 2
    custodial = chain().holder_address(urgent.user_id)
    assert {chain().owner_of(r.token_id) for r in urgent_records} == {custodial}
    waiting = [t["id"] for h in backlog for t in h.tickets]
    assert ports().store.mints.of_tickets(waiting) == []  # none taken up yet
    assert all(chain().owner_of(token_id_for(t)) is None for t in waiting)
    standard = _queued(aws)
    assert _order_ids(standard) == {h.order_id for h in backlog}
    assert plain.order_id not in _order_ids(standard)  # nothing to mint: no rule takes it
    assert {json.loads(m["Body"])["detail"]["data"]["mint_priority"] for m in standard} == {
        "standard"
    }
