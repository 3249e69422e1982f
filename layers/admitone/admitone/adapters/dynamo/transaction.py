"""One TransactWriteItems, its items named, its cancellation turned into a domain error.

The change sets of a unit of work (``DynamoUnitOfWork``) stage each write under a name
("order", "buyer_standing", "voucher", "shard tty_…#03") with the domain error its
condition stands for. ``commit`` sends them as one transaction; when DynamoDB cancels it
for a failed condition, the first failing item (in staging order) names the error to
raise. The operations are built with ``table.put_op`` / ``update_op`` / ... so that each
condition is exactly the expression DynamoDB evaluates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from admitone.adapters.aws import client
from admitone.domain.errors import Contention
from admitone.ports.unit_of_work import ChangeRefused

Operation = dict[str, Any]
# DynamoDB's limit on the items of one transaction.
MAX_ITEMS = 100


@dataclass(frozen=True)
class _Staged:
    name: str
    operation: Operation
    error: Exception | None


class Transaction:
    """The writes staged so far; ``commit`` applies all of them or none."""

    def __init__(self) -> None:
        self._staged: list[_Staged] = []
        self._committed = False

    def stage(self, name: str, operation: Operation, *, error: Exception | None = None) -> None:
        """Add one write (``{"Put": ...}``, ``{"Update": ...}``, ``{"Delete": ...}`` or
        ``{"ConditionCheck": ...}``); ``error`` is raised if its condition fails."""
        if self._committed:
            raise RuntimeError("a committed unit of work takes no more writes")
        self._staged.append(_Staged(name, operation, error))

    @property
    def names(self) -> list[str]:
        return [staged.name for staged in self._staged]

    def commit(self) -> None:
        if self._committed:
            raise RuntimeError("a unit of work commits once")
        if not self._staged:
            self._committed = True
            return
        if len(self._staged) > MAX_ITEMS:
            raise ValueError(f"{len(self._staged)} writes exceed a transaction's {MAX_ITEMS}")
        try:
            client("dynamodb").transact_write_items(
                TransactItems=[staged.operation for staged in self._staged]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                if exc.response["Error"]["Code"] in _TRANSIENT:
                    raise Contention("The store is busy; try again.") from exc
                raise
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            for staged, reason in zip(self._staged, reasons, strict=False):
                if reason == "ConditionalCheckFailed":
                    raise (staged.error or ChangeRefused(staged.name)) from None
            # No condition failed: a concurrent transaction on the same items, or a throttle.
            raise Contention("The store is busy; try again.") from None
        self._committed = True


_TRANSIENT = frozenset(
    {
        "TransactionConflictException",
        "TransactionInProgressException",
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
    }
)
