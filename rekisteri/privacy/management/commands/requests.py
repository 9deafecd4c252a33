"""`rekisteri requests remind`: emails the privacy officers the subject requests due
within a week or overdue. Run it daily from the scheduler (docs/subject-requests.md)."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from rekisteri.privacy.requests.services import requests_remind


class Command(BaseCommand):
    help = "Subject request deadlines: `remind` emails the privacy officers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["remind"])

    def handle(self, *args: Any, **options: Any) -> None:
        count = requests_remind()
        self.stdout.write(f"Requests in the reminder: {count}")
