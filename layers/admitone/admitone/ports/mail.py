"""Transactional e-mail."""

from __future__ import annotations

from abc import ABC, abstractmethod

from admitone.domain.messages import EmailMessage


class Mail(ABC):
    @abstractmethod
    def send(self, message: EmailMessage) -> str:
        """Send ``message``; returns the provider's message id. ``DependencyUnavailable``
        when it cannot be sent now (retry later), ``EmailRejected`` when it never will."""
