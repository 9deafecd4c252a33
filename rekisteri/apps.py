from django.apps import AppConfig


class RekisteriConfig(AppConfig):
    """The project package itself: its management commands and shared templates."""

    name = "rekisteri"
    verbose_name = "Rekisteri"
