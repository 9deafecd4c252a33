from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "rekisteri.imports"
    verbose_name = _("Customer imports")
