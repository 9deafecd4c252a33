"""The one NinjaAPI at /api/v1/; each app adds its router here."""

from ninja import NinjaAPI

from rekisteri.customers.api import router as customers_router

api = NinjaAPI(
    title="Rekisteri API",
    version="1",
    description="Rekisteri's customer register. Every read of a customer is audited.",
    urls_namespace="api",
)
api.add_router("/customers/", customers_router)
