"""Sent-once markers of notifications (services/notifier.py).

Item (``keys.notification``): ``kind``, ``status`` (sending | sent), ``lease_until``
(ISO 8601, while sending), ``message_id`` and ``sent_at`` once sent, ``expires_at``
(epoch seconds, the table's TTL: the bus does not redeliver an event after 30 days).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from admitone.adapters.dynamo import keys, table
from admitone.adapters.dynamo.table import instant

RETENTION = timedelta(days=30)
_SENDING = "sending"
_SENT = "sent"


class Claim(StrEnum):
    TAKEN = "taken"  # ours to send
    SENT = "sent"  # sent before
    BUSY = "busy"  # another copy is sending it now


def claim(key: str, *, kind: str, now: datetime, until: datetime) -> Claim:
    """Take the right to send: new, or left sending by a sender whose lease ran out."""
    try:
        table.update(
            keys.notification(key),
            "SET kind = :kind, #status = :sending, lease_until = :until, expires_at = :expires",
            values={
                ":kind": kind,
                ":sending": _SENDING,
                ":until": instant(until),
                ":now": instant(now),
                ":expires": int((now + RETENTION).timestamp()),
            },
            names={"#status": "status"},
            condition="attribute_not_exists(PK) OR (#status = :sending AND lease_until <= :now)",
        )
    except table.ConditionFailed:
        item = table.get(keys.notification(key), consistent=True)
        return Claim.SENT if item and item["status"] == _SENT else Claim.BUSY
    return Claim.TAKEN


def mark_sent(key: str, *, message_id: str, now: datetime) -> None:
    table.update(
        keys.notification(key),
        "SET #status = :sent, message_id = :id, sent_at = :now REMOVE lease_until",
        values={":sent": _SENT, ":id": message_id, ":now": instant(now)},
        names={"#status": "status"},
    )
