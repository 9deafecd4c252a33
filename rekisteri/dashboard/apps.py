from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The start pages: for each part of the work a person's permissions open, what
    needs doing now and how it has gone lately. It reads every app and none reads it;
    it has no models of its own."""

    name = "rekisteri.dashboard"
    label = "dashboard"
    verbose_name = "Start pages"
