"""`rekisteri breaches remind`: emails the privacy officers the breaches whose 72-hour
clock has less than 24 hours left or has run out. Run it hourly from the scheduler
(docs/breaches.md)."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from rekisteri.privacy.breaches.services import breaches_remind


class Command(BaseCommand):
    help = "The breach register: `remind` emails the privacy officers of the 72-hour clock."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["remind"])

    def handle(self, *args: Any, **options: Any) -> None:
        count = breaches_remind()
        self.stdout.write(f"Breaches in the reminder: {count}")
