"""The order intake benchmark's server settings: Rekisteri's own, plus the floor.

The benchmark starts `rekisteri serve` with this module for the whole run, orders and
floor alike, so both go through one server: the same gunicorn settings, middleware
and database. Production's own settings never name the floor."""

from rekisteri.settings import *  # noqa: F403  # the same settings, one URLconf more

ROOT_URLCONF = "bench.floor_urls"
