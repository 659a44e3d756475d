"""Markers for client code whose wire writes are not an effect (no Robot imports).

The effect decorators of keywords (``@own_data``, ``@shared``, ``@disruptive``) live in
:mod:`libraries.safety`, which refuses at run time. These two only mark a client function
for ``scripts/checks/check_effects.py``, which stops its walk there; they change nothing at
run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def no_effect(reason: str) -> Callable[[F], F]:
    """Declares that a function's wire writes change nothing others see; ``reason`` says
    why ("POST /token issues a token for the caller's own credentials")."""

    def decorate(function: F) -> F:
        function.no_effect = reason  # type: ignore[attr-defined]
        return function

    return decorate


def cleans_up(reason: str) -> Callable[[F], F]:
    """Declares that a function only removes what this run itself created (the queues a
    client declared, the documents a connection inserted, the tasks the ledger recorded):
    the removal half of ``own-data``, which must run wherever the creation did."""
    return no_effect(reason)
