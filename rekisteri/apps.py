from django.apps import AppConfig


class RekisteriConfig(AppConfig):
    """The project package itself: its management commands and shared templates."""

    name = "rekisteri"
    verbose_name = "Rekisteri"

    def ready(self) -> None:
        from rekisteri import checks  # noqa: F401  # registers the deployment checks
