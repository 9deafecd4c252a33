"""The privacy officer's staff URLs under /privacy/: each room of the privacy app adds its
own. The public pages (the notice, the download link) are in each room's `urls_public.py`
and mounted at the site's root by rekisteri/urls.py."""

from rekisteri.privacy.access import urls as access
from rekisteri.privacy.breaches import urls as breaches
from rekisteri.privacy.erasure import urls as erasure
from rekisteri.privacy.notice import urls as notice
from rekisteri.privacy.records import urls as records
from rekisteri.privacy.requests import urls as requests
from rekisteri.privacy.restriction import urls as restriction
from rekisteri.privacy.retention import urls as retention

app_name = "privacy"
urlpatterns = [
    *requests.urlpatterns,
    *erasure.urlpatterns,
    *restriction.urlpatterns,
    *access.urlpatterns,
    *retention.urlpatterns,
    *notice.urlpatterns,
    *records.urlpatterns,
    *breaches.urlpatterns,
]
