from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class SearchKeyField(models.CharField):  # type: ignore[type-arg]  # plain str field
    """A case-folded search key compared in byte order on every engine.

    PostgreSQL gets the "C" collation, so one B-tree index serves both a prefix range
    and its ORDER BY; SQLite's default collation is already binary."""

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters
