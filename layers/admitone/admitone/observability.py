"""Logger and metrics for every function, configured from the Powertools environment.

Never log tokens, card data, passwords or full e-mail addresses.
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics(namespace="admitone")

# Many invocations legitimately record no business metric (a health check, a read).
warnings.filterwarnings("ignore", message="No application metrics to publish")
