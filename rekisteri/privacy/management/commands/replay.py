"""`rekisteri replay`: does again what a restored backup lost of the people's no: the
replay log's withdrawals, objections, bans and restrictions (and their lifts), then the
erasure log's erasures, as `rekisteri backup restore` does itself. Run it after a
restore made any other way (docs/backups.md)."""

from typing import Any

from django.core.management.base import BaseCommand

from rekisteri.audit.services import Actor
from rekisteri.privacy.erasure.services import erasure_log_path
from rekisteri.privacy.replay.log import replay_log_path
from rekisteri.privacy.replay.services import replay_all


class Command(BaseCommand):
    help = (
        "After a restore: do again the withdrawals, objections, bans, restrictions and "
        "erasures of the replay and erasure logs that the database lacks, and list them."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        replay = replay_all(actor=Actor.system("replay"))
        self.stdout.write(
            f"Replay log {replay_log_path()} replayed: {len(replay.done)} act(s) done again, "
            f"{len(replay.acts) - len(replay.done)} left as they were."
        )
        self.stdout.write(
            f"Erasure log {erasure_log_path()} replayed: {len(replay.erased_again)} erased again."
        )
        for line in replay.lines():
            self.stdout.write(f"  {line}")
