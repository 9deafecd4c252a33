"""The `rekisteri` console command: Django's management commands under one name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rekisteri.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(_with_command_names(sys.argv))


# Command names people type, as the Python modules behind them are named.
COMMAND_ALIASES = {"credit-simulator": "credit_simulator"}


def _with_command_names(argv: list[str]) -> list[str]:
    if len(argv) > 1 and argv[1] in COMMAND_ALIASES:
        return [argv[0], COMMAND_ALIASES[argv[1]], *argv[2:]]
    return argv


if __name__ == "__main__":
    main()
