from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from rekisteri.api import api
from rekisteri.dashboard import views as dashboard_views

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("accounts/", include("rekisteri.accounts.urls")),
    path("customers/", include("rekisteri.customers.urls")),
    path("imports/", include("rekisteri.imports.urls")),
    path("audit/", include("rekisteri.audit.urls")),
    path("integrations/", include("rekisteri.intake.urls")),
    path("orders/", include("rekisteri.orders.urls")),
    path("credit/", include("rekisteri.credit.urls")),
    path("consents/", include("rekisteri.consents.urls")),
    path("marketing/", include("rekisteri.marketing.urls")),
    path("privacy/", include("rekisteri.privacy.urls")),
    path("backups/", include("rekisteri.backups.urls")),
    path("", include("rekisteri.marketing.urls_public")),
    path("", include("rekisteri.privacy.access.urls_public")),
    path("tietosuoja/", include("rekisteri.portal.urls")),
    path("", include("rekisteri.privacy.notice.urls_public")),
    path("api/v1/webhooks/", include("rekisteri.intake.webhooks")),
    path("api/v1/", api.urls),
]

handler403 = "rekisteri.views.permission_denied"
