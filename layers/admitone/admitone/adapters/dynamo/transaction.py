"""One TransactWriteItems, its items named, its cancellation handed back by name.

The change sets of a unit of work (``DynamoUnitOfWork``) stage each write under a name
("order ord_…", "standing usr_… evt_…", "shard tty_…#3") with how to decode its item,
or with the domain error its condition stands for. The items go on the wire in the
order they were staged, so the i-th cancellation reason is the i-th staged write (what
pynamodb's own ``TransactWrite`` does not keep: it reorders by kind of operation).
Each decoded write asks for ``ALL_OLD``: when its condition fails, DynamoDB returns the
item as it was and ``ChangeRefused`` carries it, decoded, under the write's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from admitone.adapters.aws import client
from admitone.domain.errors import Contention
from admitone.ports.staging import ChangeRefused

Operation = dict[str, Any]
RawItem = dict[str, Any]
Decode = Callable[[RawItem], object]
# DynamoDB's limit on the items of one transaction.
MAX_ITEMS = 100


@dataclass(frozen=True)
class _Staged:
    name: str
    operation: Operation
    error: Exception | None
    decode: Decode | None


class Transaction:
    """The writes staged so far; ``commit`` applies all of them or none."""

    def __init__(self) -> None:
        self._staged: list[_Staged] = []
        self._committed = False

    def stage(
        self,
        name: str,
        operation: Operation,
        *,
        error: Exception | None = None,
        decode: Decode | None = None,
    ) -> None:
        """Add one write (``{"Put": ...}``, ``{"Update": ...}``, ``{"Delete": ...}`` or
        ``{"ConditionCheck": ...}``). ``error`` is raised if its condition fails first;
        ``decode`` turns the item as it was (DynamoDB's attribute values) into what the
        refusal hands back."""
        if self._committed:
            raise RuntimeError("a committed unit of work takes no more writes")
        if any(staged.name == name for staged in self._staged):
            raise ValueError(f"a write named {name!r} is staged already")
        if decode is not None:
            ((kind, request),) = operation.items()
            operation = {kind: {**request, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
        self._staged.append(_Staged(name, operation, error, decode))

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
            code = exc.response["Error"]["Code"]
            if code != "TransactionCanceledException":
                if code in _TRANSIENT:
                    raise Contention("The store is busy; try again.") from exc
                raise
            self._refuse(exc.response.get("CancellationReasons", []))
        self._committed = True

    def _refuse(self, reasons: list[dict[str, Any]]) -> None:
        failed: dict[str, object | None] = {}
        first_error: Exception | None = None
        for staged, reason in zip(self._staged, reasons, strict=False):
            if reason.get("Code") != "ConditionalCheckFailed":
                continue
            if not failed:
                first_error = staged.error
            item = reason.get("Item")
            failed[staged.name] = staged.decode(item) if staged.decode and item else None
        if not failed:
            # No condition failed: a concurrent transaction on the same items, or a throttle.
            raise Contention("The store is busy; try again.") from None
        refused = ChangeRefused(failed)
        if first_error is not None:
            raise first_error from refused
        raise refused from None


_TRANSIENT = frozenset(
    {
        "TransactionConflictException",
        "TransactionInProgressException",
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
    }
)
