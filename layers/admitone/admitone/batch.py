"""Batch processors of every queue and stream consumer: a failed record is reported.

Powertools catches a record's exception to answer a partial batch response, so it
never reaches the Lambda integration; ``failure_handler`` (Powertools' extension
point) hands it to error reporting first. Records failed only because an earlier
one of their FIFO group failed carry no traceback and are not reported again.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, SqsFifoPartialProcessor
from aws_lambda_powertools.utilities.batch.base import FailureResponse
from aws_lambda_powertools.utilities.batch.exceptions import ExceptionInfo

from admitone.observability import report_error


class ReportingBatchProcessor(BatchProcessor):
    def failure_handler(self, record: Any, exception: ExceptionInfo) -> FailureResponse:
        _report(exception)
        return super().failure_handler(record, exception)


class ReportingSqsFifoPartialProcessor(SqsFifoPartialProcessor):
    def failure_handler(self, record: Any, exception: ExceptionInfo) -> FailureResponse:
        _report(exception)
        return super().failure_handler(record, exception)


def _report(exception: ExceptionInfo) -> None:
    _, error, traceback = exception
    if error is not None and traceback is not None:
        report_error(error)
