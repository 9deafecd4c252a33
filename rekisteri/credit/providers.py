"""The credit check provider interface (P12): what Rekisteri asks of a credit bureau and
what it gets back. Implementations: `asiakastieto.AsiakastietoClient` (Suomen
Asiakastieto Oy's consumer credit information service over HTTPS) and, for the demo
and the tests, the same client pointed at the local simulator (`simulator.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Answer:
    """What the bureau said about the person, in a word."""

    NO_DEFAULTS = "no_defaults"  # known or not in the register: no payment defaults
    DEFAULTS = "defaults"  # payment defaults recorded
    UNKNOWN_PERSON = "unknown_person"
    INVALID_IDENTITY_CODE = "invalid_identity_code"
    ERROR = "error"  # the bureau or the connection failed: never an approval
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class CreditReport:
    """The minimum kept of an answer (data minimisation): no name, no address, no code."""

    answer: str
    default_count: int | None = None
    classification_code: str = ""
    provider_reference: str = ""
    error_code: str = ""  # the bureau's own code (EIR, VC6, VA2, 501, ...) or ""
    is_simulated: bool = False


class CreditProvider(Protocol):
    name: str

    def check(self, *, identity_code: str) -> CreditReport:
        """Asks about one person. Never raises for the bureau's or the network's
        failures: they come back as Answer.ERROR or Answer.TIMEOUT. Nothing it raises
        or logs contains the identity code."""
        ...
