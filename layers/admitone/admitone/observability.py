"""Logger and metrics for every function, configured from the Powertools environment.

Never log tokens, card data, passwords or full e-mail addresses.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics(namespace="admitone")
