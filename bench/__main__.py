"""`python -m bench customer_search --customers N [--searches K] [--keep] [--fresh]`
`python -m bench order_intake [--orders N] [--clients C] [--threads T] [--wait S]`
`python -m bench inbox_backlog [--deliveries N] [--workers W] [--keep] [--fresh]`
`python -m bench campaign_export --customers N [--keep] [--fresh]`
`python -m bench subject_access [--orders N] [--runs R] [--keep] [--fresh]`
`python -m bench audit_append [--writers W] [--processes P] [--seconds S] [--keep] [--fresh]`
and `python -m bench import_customers [--rows N] [--keep] [--fresh]`."""

from __future__ import annotations

import argparse
import sys


def _positive(text: str) -> int:
    value = int(text.replace("_", ""))
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    # Only constants: Django is set up later, on the bench database.
    from rekisteri.management.commands.serve import DEFAULT_THREADS, DEFAULT_WORKERS

    main = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    benchmarks = main.add_subparsers(dest="benchmark", required=True)
    search = benchmarks.add_parser(
        "customer_search",
        help="customer search and list page at N customers, against raw SQL",
        description=(
            "Generates N fake customers into the bench database (SQLite under "
            "REKISTERI_DATA_DIR, or <name>_bench on DATABASE_URL's server) and times "
            "searches through the staff view, the selector and raw SQL."
        ),
    )
    search.add_argument("--customers", type=_positive, required=True, help="size of the register")
    search.add_argument("--searches", type=_positive, default=200, help="searches per kind")
    search.add_argument(
        "--keep",
        action="store_true",
        help="keep a bench database this run creates, for the next run to reuse "
        "(one that was already there is always kept)",
    )
    search.add_argument(
        "--fresh", action="store_true", help="drop the bench database and generate anew"
    )
    search.add_argument("--seed", type=int, default=2026, help="seed of the fake data")

    intake = benchmarks.add_parser(
        "order_intake",
        help="web shop orders acknowledged per second by the production server (PostgreSQL)",
        description=(
            "Starts `rekisteri serve` in production mode on <name>_bench_orders on "
            "DATABASE_URL's server and posts orders to /api/v1/orders from concurrent "
            "keep-alive clients: half new customers, half returning, three lines each; "
            "the inbox answers 202 (with --wait, 201 once the order is made). In turns "
            "with the orders, the same bodies to the same server's floor (one INSERT)."
        ),
    )
    intake.add_argument("--orders", type=_positive, default=4000, help="timed orders")
    intake.add_argument("--warm-up", type=_positive, default=400, help="orders before timing")
    intake.add_argument("--clients", type=_positive, default=16, help="concurrent clients")
    intake.add_argument(
        "--workers",
        type=_positive,
        default=DEFAULT_WORKERS,
        help="server processes (default: rekisteri serve's, %(default)s)",
    )
    intake.add_argument(
        "--threads",
        type=_positive,
        default=DEFAULT_THREADS,
        help="threads per server process (default: rekisteri serve's, %(default)s)",
    )
    intake.add_argument(
        "--wait",
        type=_positive,
        default=None,
        metavar="S",
        help="send `Prefer: wait=S` and count the orders made (201), not acknowledgements",
    )
    intake.add_argument(
        "--rounds",
        type=_positive,
        default=2,
        help="turns of the floor and the orders (floor, orders, orders, floor, ...)",
    )
    intake.add_argument(
        "--no-search",
        action="store_true",
        help="no staff member searching while the orders come in",
    )
    intake.add_argument(
        "--customers", type=_positive, default=10_000, help="register of returning customers"
    )
    intake.add_argument(
        "--keep", action="store_true", help="keep a bench database this run creates"
    )
    intake.add_argument(
        "--fresh", action="store_true", help="drop a kept bench database and start anew"
    )
    intake.add_argument("--seed", type=int, default=2026, help="seed of the fake data")

    backlog = benchmarks.add_parser(
        "inbox_backlog",
        help="a backlog of N API deliveries turned into orders by `rekisteri worker`",
        description=(
            "Stores N deliveries in the inbox (orders as the API takes them: half new "
            "customers, half returning) in <name>_bench_inbox on DATABASE_URL's server "
            "(or SQLite under REKISTERI_DATA_DIR/bench-inbox-backlog), untimed, then "
            "starts `rekisteri worker` and times it until none waits."
        ),
    )
    backlog.add_argument(
        "--deliveries", type=_positive, default=20_000, help="deliveries in the backlog"
    )
    backlog.add_argument(
        "--customers", type=_positive, default=10_000, help="register of returning customers"
    )
    backlog.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="`rekisteri worker` processes sharing the backlog (default 1)",
    )
    backlog.add_argument(
        "--in-process",
        action="store_true",
        help="call inbox_process() here, batch after batch, instead of the worker process",
    )
    backlog.add_argument(
        "--keep", action="store_true", help="keep a bench database this run creates"
    )
    backlog.add_argument(
        "--fresh", action="store_true", help="drop a kept bench database and start anew"
    )
    backlog.add_argument("--seed", type=int, default=2026, help="seed of the fake data")

    export = benchmarks.add_parser(
        "campaign_export",
        help="a post target group's address list streamed as CSV at N customers (PostgreSQL)",
        description=(
            "Streams the address list of a post target group over the whole register "
            "(<name>_bench on DATABASE_URL's server, generated or reused as for "
            "customer_search) through the export view's queryset and CSV writer, and "
            "by raw SQL (COPY), in the same run."
        ),
    )
    export.add_argument("--customers", type=_positive, required=True, help="size of the register")
    export.add_argument(
        "--keep", action="store_true", help="keep a bench database this run creates"
    )
    export.add_argument(
        "--fresh", action="store_true", help="drop the bench database and generate anew"
    )
    export.add_argument("--seed", type=int, default=2026, help="seed of the fake data")

    access = benchmarks.add_parser(
        "subject_access",
        help="a customer's own copy (ZIP of index.html and data.json) at N orders",
        description=(
            "Makes a customer with N orders (lines, deliveries, returns, credit decisions, "
            "consent events) through the services in a bench database of its own "
            "(SQLite under REKISTERI_DATA_DIR/bench-subject-access, or "
            "<name>_bench_subject_access on DATABASE_URL's server) and times "
            "privacy.access.copy.access_archive."
        ),
    )
    access.add_argument("--orders", type=_positive, default=1000, help="the customer's orders")
    access.add_argument("--runs", type=_positive, default=7, help="timed builds")
    access.add_argument(
        "--keep", action="store_true", help="keep a bench database this run creates"
    )
    access.add_argument(
        "--fresh", action="store_true", help="drop a kept bench database and start anew"
    )
    access.add_argument("--seed", type=int, default=2026, help="seed of the fake data")

    append = benchmarks.add_parser(
        "audit_append",
        help="audit events per second from concurrent writers, and their sealing lag",
        description=(
            "W writers append audit events (one transaction each) for S seconds while "
            "the sealer runs as the worker runs it, in a bench database of its own "
            "(SQLite under REKISTERI_DATA_DIR/bench-audit-append, or "
            "<name>_bench_audit on DATABASE_URL's server)."
        ),
    )
    append.add_argument("--writers", type=_positive, default=16, help="concurrent writers")
    append.add_argument(
        "--processes", type=_positive, default=4, help="processes the writers run in"
    )
    append.add_argument("--seconds", type=_positive, default=20, help="how long to write")
    append.add_argument(
        "--keep", action="store_true", help="keep a bench database this run creates"
    )
    append.add_argument(
        "--fresh", action="store_true", help="drop a kept bench database and start anew"
    )

    imports = benchmarks.add_parser(
        "import_customers",
        help="`rekisteri import customers` of N valid rows: the dry run, then the import",
        description=(
            "Writes a CSV file of N valid fake customers and times `rekisteri import "
            "customers FILE --dry-run` and then the import, in a bench database of its "
            "own (SQLite under REKISTERI_DATA_DIR/bench-import-customers, or "
            "<name>_bench_import on DATABASE_URL's server)."
        ),
    )
    imports.add_argument("--rows", type=_positive, default=100_000, help="rows of the file")
    imports.add_argument(
        "--keep", action="store_true", help="keep a bench database this run creates"
    )
    imports.add_argument(
        "--fresh", action="store_true", help="drop a kept bench database and start anew"
    )
    imports.add_argument("--seed", type=int, default=2026, help="seed of the fake data")
    return main


def _import_customers(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from bench.database import BASE_DIR, configure

    # A directory of its own: the import adds customers, which must not land in
    # customer_search's kept register (on SQLite the file name is shared).
    data_dir = Path(os.environ.get("REKISTERI_DATA_DIR") or BASE_DIR / "var").resolve()
    directory = data_dir / "bench-import-customers"
    os.environ["REKISTERI_DATA_DIR"] = str(directory)
    database = configure(fresh=args.fresh, suffix="bench_import")
    from bench import import_customers

    try:
        import_customers.main(
            rows=args.rows, seed=args.seed, directory=directory, database=database
        )
    finally:
        if not args.keep and not database.existed:
            database.drop()
    return 0


def _subject_access(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from bench.database import BASE_DIR, configure

    # A directory of its own: on SQLite the bench file name is shared with
    # customer_search, whose kept register this benchmark must not write into.
    data_dir = Path(os.environ.get("REKISTERI_DATA_DIR") or BASE_DIR / "var").resolve()
    os.environ["REKISTERI_DATA_DIR"] = str(data_dir / "bench-subject-access")
    database = configure(fresh=args.fresh, suffix="bench_subject_access")
    from bench import subject_access

    try:
        subject_access.main(orders=args.orders, runs=args.runs, seed=args.seed, database=database)
    finally:
        if not args.keep and not database.existed:
            database.drop()
    return 0


def _audit_append(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from bench.database import BASE_DIR, configure

    data_dir = Path(os.environ.get("REKISTERI_DATA_DIR") or BASE_DIR / "var").resolve()
    os.environ["REKISTERI_DATA_DIR"] = str(data_dir / "bench-audit-append")
    database = configure(fresh=args.fresh, suffix="bench_audit")
    from bench import audit_append

    try:
        audit_append.main(
            writers=args.writers,
            processes=args.processes,
            seconds=args.seconds,
            database=database,
        )
    finally:
        if not args.keep and not database.existed:
            database.drop()
    return 0


def _campaign_export(args: argparse.Namespace) -> int:
    import os

    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("campaign_export needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    from bench.database import configure

    database = configure(fresh=args.fresh)
    from bench import campaign_export

    try:
        campaign_export.main(customers=args.customers, seed=args.seed, database=database)
    finally:
        if not args.keep and not database.existed:
            database.drop()
    return 0


def _order_intake(args: argparse.Namespace) -> int:
    import os

    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("order_intake needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    from bench.database import configure

    database = configure(fresh=args.fresh, suffix="bench_orders")
    from bench import order_intake

    try:
        order_intake.main(
            orders=args.orders,
            warm_up=args.warm_up,
            clients=args.clients,
            workers=args.workers,
            threads=args.threads,
            search=not args.no_search,
            customers=args.customers,
            seed=args.seed,
            database=database,
            wait=args.wait,
            rounds=args.rounds,
        )
    finally:
        if not args.keep and not database.existed:
            database.drop()
    return 0


def _inbox_backlog(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from bench.database import BASE_DIR, configure

    # A directory of its own: the run adds customers and orders, which must not land
    # in customer_search's kept register (on SQLite the file name is shared).
    data_dir = Path(os.environ.get("REKISTERI_DATA_DIR") or BASE_DIR / "var").resolve()
    os.environ["REKISTERI_DATA_DIR"] = str(data_dir / "bench-inbox-backlog")
    database = configure(fresh=args.fresh, suffix="bench_inbox")
    from bench import inbox_backlog

    try:
        inbox_backlog.main(
            deliveries=args.deliveries,
            customers=args.customers,
            seed=args.seed,
            in_process=args.in_process,
            workers=args.workers,
            database=database,
        )
    finally:
        if not args.keep and not database.existed:
            database.drop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.benchmark == "order_intake":
        return _order_intake(args)
    if args.benchmark == "inbox_backlog":
        return _inbox_backlog(args)
    if args.benchmark == "campaign_export":
        return _campaign_export(args)
    if args.benchmark == "subject_access":
        return _subject_access(args)
    if args.benchmark == "import_customers":
        return _import_customers(args)
    if args.benchmark == "audit_append":
        return _audit_append(args)
    from bench.database import configure

    database = configure(fresh=args.fresh)
    from bench import customer_search

    try:
        customer_search.main(
            customers=args.customers, searches=args.searches, seed=args.seed, database=database
        )
    finally:
        if not args.keep and not database.existed:
            database.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
