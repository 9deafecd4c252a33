"""Register descriptions for the notice's tests: the default one, read from the migration
that publishes it (the one source of version 1), and a copy given Swedish texts."""

from __future__ import annotations

import copy
import importlib
from typing import Any

MIGRATION = "rekisteri.privacy.migrations.0005_default_register_description"


def default_description() -> dict[str, Any]:
    """A copy of the description migration privacy 0005 publishes as version 1."""
    description: dict[str, Any] = importlib.import_module(MIGRATION).DESCRIPTION
    return copy.deepcopy(description)


def in_swedish(content: dict[str, Any]) -> dict[str, Any]:
    """Every text given a Swedish version (marked, for the test)."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict) and "fi" in value and "en" in value:
            return {**value, "sv": f"SV {value['en']}"}
        if isinstance(value, dict):
            return {name: walk(inner) for name, inner in value.items()}
        if isinstance(value, list):
            return [walk(inner) for inner in value]
        return value

    result: dict[str, Any] = walk(content)
    return result
