#!/usr/bin/env python
"""Django's command-line utility; `rekisteri` (installed into .venv/bin) is the same."""

from rekisteri.cli import main

if __name__ == "__main__":
    main()
