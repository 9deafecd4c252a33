"""Two years of believable history for `rekisteri demo`: customers who come more and more
often, orders by week with a season (the spring moving season and the weeks before
Christmas), deliveries, returns and paid invoices, consents given and withdrawn, a few
direct marketing bans, campaigns sent in the past, subject requests (one overdue, one
near its deadline), breaches (one inside its 72 hours) and the nightly retention run.

How time is moved: everything is made by the services real use takes, each at its own
moment, and the moments are taken in order (a discrete-event simulation: a step may
plan later steps, a heap hands them out oldest first). While a step runs, the clock the
code reads is set to its moment: every service in Rekisteri reads the time through
`django.utils.timezone.now` (the only other clock reads are the credit bureau
client's and its simulator's request timestamps, which agree with each other, and the
two-factor and rate-limit clocks, which the demo does not use), so patching that one
function backdates the rows, their audit events and the consent ledger together, with
no time-travel library. Because the steps run in time order, the audit trail's ids
follow its times and the consent ledger's order (its ids) follows theirs; the trail is
sealed when the demo ends (`audit verify` then finds it whole).

Identity codes come only with invoice orders (P8), through `order_create` with the
credit check at the local simulator; the retention run, nightly in real use (quarterly
in the older history, for speed), removes them once the invoices are paid,
as it does in real use."""

from __future__ import annotations

import contextlib
import datetime
import functools
import heapq
import itertools
import logging
import math
import os
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from unittest import mock

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from faker import Faker

from rekisteri.accounts.models import User
from rekisteri.audit.models import ActorType
from rekisteri.audit.services import Actor
from rekisteri.consents.models import Channel as ConsentChannel
from rekisteri.consents.models import Source as ConsentSource
from rekisteri.consents.selectors import consent_texts_current, customers_eligible
from rekisteri.consents.services import (
    consent_grant,
    consent_withdraw,
    marketing_ban,
    marketing_ban_lift,
)
from rekisteri.credit.services import order_is_cleared_for_credit
from rekisteri.customers.models import Customer, Source, Status
from rekisteri.customers.services import CustomerInput, customer_create
from rekisteri.marketing.models import Campaign, CampaignMessage, MessageStatus, TargetGroup
from rekisteri.marketing.selectors import campaign_recipients
from rekisteri.marketing.sending import campaign_run
from rekisteri.marketing.services import (
    CampaignInput,
    TargetGroupInput,
    campaign_save,
    campaign_send,
    campaign_unsubscribe,
    target_group_save,
)
from rekisteri.orders.models import (
    Channel,
    Delivery,
    Order,
    OrderStatus,
    PaymentMethod,
    Product,
    Return,
    ReturnStatus,
)
from rekisteri.orders.services import (
    LineInput,
    delivery_create,
    delivery_status_change,
    order_create,
    order_settle,
    order_status_change,
    product_save,
    return_create,
    return_status_change,
)
from rekisteri.privacy.breaches.services import DataCategory, breach_decide, breach_record
from rekisteri.privacy.models import BreachDecision, ReceivedVia, RequestKind, SubjectRequest
from rekisteri.privacy.requests.services import subject_request_complete, subject_request_record
from rekisteri.privacy.retention.services import retention_run
from rekisteri.testing.identity_codes import identity_code_for

HISTORY_DAYS = 2 * 365 + 7  # a little over two years
# What each customer brings: about 1.4 orders more after the first, over the history.
REPEAT_ORDERS_PER_CUSTOMER = 1.4
FIRST_ORDER_SHARE = 0.85  # the others came for the newsletter only
RETENTION_ACTOR = "retention"  # as `rekisteri retention run` names itself
NIGHTLY_RETENTION_DAYS = 3  # before these, the demo runs retention quarterly
DEMO_SHOP = "Verkkokauppa (demo)"
# Addresses of the documentation ranges (RFC 5737): a web shop checkout's evidence.
DOCUMENTATION_NETWORK = "198.51.100."
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0"

PRODUCTS = (
    ("HYL-120", "Varastohylly 120 cm", "89.90", "25.5"),
    ("HYL-180", "Varastohylly 180 cm", "129.00", "25.5"),
    ("LAA-50", "Muovilaatikko 50 l", "14.90", "25.5"),
    ("LAA-80", "Muovilaatikko 80 l", "19.90", "25.5"),
    ("KAR-10", "Muuttolaatikko, 10 kpl", "24.50", "25.5"),
    ("TEI-50", "Pakkausteippi 50 mm", "3.90", "25.5"),
    ("KIR-01", "Varastoinnin käsikirja", "29.00", "14.0"),
    ("KUP-01", "Säilytyskuponki", "0.00", "0.0"),
)
# What sells when: moving boxes and tape in spring, the book and boxes before Christmas.
SPRING_SKUS = ("KAR-10", "KAR-10", "TEI-50", "LAA-80", "HYL-120")
CHRISTMAS_SKUS = ("KIR-01", "KIR-01", "LAA-50", "HYL-180", "LAA-80")
ALL_YEAR_SKUS = ("HYL-120", "HYL-180", "LAA-50", "LAA-80", "KAR-10", "TEI-50", "KIR-01")

CAMPAIGNS = (
    # (month, day, name, subject, body)
    (
        4,
        14,
        "Muuttokevät",
        "Muuttolaatikot ja hyllyt kevään muuttoon",
        "Hei!\n\nMuuttolaatikot, teipit ja hyllyt nyt kevään muuttoon.\n\nTervetuloa!",
    ),
    (
        11,
        24,
        "Joulun lahjavinkit",
        "Lahjavinkit varastoinnin ystävälle",
        "Hei!\n\nVarastoinnin käsikirja ja laatikot ovat hyviä joululahjoja.\n\nHyvää joulua!",
    ),
)
REQUESTS_CLOSED = (
    # (kind, received via, outcome)
    (RequestKind.ACCESS, ReceivedVia.EMAIL, "Kopio tiedoista lähetettiin asiakkaalle."),
    (RequestKind.RECTIFICATION, ReceivedVia.PHONE, "Osoite korjattiin asiakkaan pyynnöstä."),
    (RequestKind.PORTABILITY, ReceivedVia.EMAIL, "Tilaushistoria toimitettiin CSV-tiedostona."),
)
VERIFIED = "Henkilöllisyys tarkistettu puhelimessa: asiakasnumero, osoite ja viimeisin tilaus."


@contextlib.contextmanager
def clock(moment: datetime.datetime) -> Iterator[None]:
    """The time every service reads (`timezone.now`) stands at `moment`."""
    with mock.patch.object(timezone, "now", lambda: moment):
        yield


@contextlib.contextmanager
def _quiet_loggers(*names: str) -> Iterator[None]:
    """Each task run and credit check would log a line: hundreds, for the history."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextlib.contextmanager
def quiet_outside_world() -> Iterator[None]:
    """While history is made: the background tasks it queues (request notices, a
    campaign's sending) run at once, at the moment of the step that queued them; email
    goes nowhere (the demo's customers are fake, and the past is past); credit checks
    ask the local simulator, never a bureau configured in the environment."""
    from rekisteri.credit.simulator import running_simulator

    with (
        _quiet_loggers("django_tasks", "rekisteri.credit"),
        running_simulator(delay_seconds=0.0) as simulator,
        mock.patch.dict(os.environ, simulator.environment()),
        override_settings(
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        ),
    ):
        yield


def customer_input(fake: Faker, rng: random.Random) -> CustomerInput:
    """A fake customer: Faker fi_FI names and addresses, an example.fi email."""
    surname, first_names = fake.last_name(), fake.first_name()
    if rng.random() < 0.3:
        first_names += " " + fake.first_name()
    local = f"{first_names.split()[0]}.{surname}".lower()
    local = local.translate(str.maketrans("äöå", "aoa"))
    return CustomerInput(
        surname=surname,
        first_names=first_names,
        street_address=fake.street_address(),
        postal_code=fake.postcode(),
        post_office=fake.city(),
        phone=f"+3584{rng.choice('05')}{rng.randrange(10**7):07d}",
        email=f"{local}{rng.randrange(1000)}@example.fi",
        preferred_language=rng.choice(["fi", "fi", "fi", "sv", "en"]),
    )


def products_save(actor: Actor) -> None:
    for sku, name, price, vat in PRODUCTS:
        if not Product.objects.filter(sku=sku).exists():
            product_save(
                actor=actor,
                product=None,
                sku=sku,
                name=name,
                unit_price=Decimal(price),
                vat_rate=Decimal(vat),
                is_active=True,
            )


def _bump(day_of_year: float, centre: float, width: float) -> float:
    distance = min(abs(day_of_year - centre), 365 - abs(day_of_year - centre))
    return math.exp(-((distance / width) ** 2) / 2)


def season(day: datetime.date) -> float:
    """How busy the shop is in the week of `day`, 1 on an ordinary week: the spring
    moving season (May), the weeks before Christmas, a quiet July."""
    doy = day.timetuple().tm_yday
    return (
        1.0
        + 1.1 * _bump(doy, 135, 24)
        + 1.4 * _bump(doy, 340, 12)
        - 0.45 * _bump(doy, 200, 12)
        # The week after Christmas is quiet.
        - 0.5 * _bump(doy, 362, 4)
    )


SEASON_MAX = 2.6


def _zone() -> datetime.tzinfo:
    """Helsinki (settings.TIME_ZONE): the shop's days and office hours."""
    return timezone.get_default_timezone()


def staff_actor(username: str) -> Actor:
    user = User.objects.get(username=username)
    return Actor(type=ActorType.STAFF, user=user, label=username)


class History:
    """The simulation. `run` makes `customers` customers and their history, from a
    little over two years ago to `now`."""

    def __init__(self, *, customers: int, now: datetime.datetime, seed: int = 2026) -> None:
        self.wanted = customers
        self.end = now - datetime.timedelta(minutes=1)
        self.start = now - datetime.timedelta(days=HISTORY_DAYS)
        self.rng = random.Random(seed)
        self.fake = Faker("fi_FI")
        self.fake.seed_instance(seed)
        self._queue: list[tuple[datetime.datetime, int, Callable[[], object]]] = []
        self._counter = itertools.count()
        self.customers: list[Customer] = []
        self.codes: dict[int, str] = {}  # the identity code each invoice buyer gives
        self.opted: dict[int, set[str]] = {}  # channels with a live opt-in
        self.banned: set[int] = set()
        self.deliveries: dict[int, Delivery] = {}
        self.shop = Actor(type=ActorType.INTEGRATION, label=DEMO_SHOP)
        self.service = staff_actor("asiakaspalvelu")
        self.marketing = staff_actor("markkinointi")
        self.privacy = staff_actor("tietosuoja")
        self.texts: dict[str, Any] = {}

    # The engine --------------------------------------------------------------------

    def at(self, moment: datetime.datetime, step: Callable[[], object]) -> None:
        """Plans `step` at `moment`; a moment after the end is the future, not history."""
        if self.start <= moment <= self.end:
            heapq.heappush(self._queue, (moment, next(self._counter), step))

    def run(self) -> None:
        self._plan()
        with quiet_outside_world(), transaction.atomic():
            while self._queue:
                moment, _number, step = heapq.heappop(self._queue)
                with clock(moment):
                    step()

    # Random moments ----------------------------------------------------------------

    def _uniform(self, low: datetime.datetime, high: datetime.datetime) -> datetime.datetime:
        return low + (high - low) * self.rng.random()

    def _hours(self, low: float, high: float) -> datetime.timedelta:
        return datetime.timedelta(hours=self.rng.uniform(low, high))

    def _busy_day(self) -> datetime.date:
        """A day drawn by how busy the shop was: more customers as it grows (two and a
        half times as many at the end as at the start), and the season."""
        first = timezone.localtime(self.start, _zone()).date() + datetime.timedelta(days=1)
        days = (timezone.localtime(self.end, _zone()).date() - first).days + 1
        while True:
            offset = self.rng.randrange(days)
            growth = 0.4 + 0.6 * offset / days
            day = first + datetime.timedelta(days=offset)
            if self.rng.random() * SEASON_MAX < growth * season(day):
                return day

    def _moment_on(self, day: datetime.date, channel: str) -> datetime.datetime:
        """A time of day as the channel has them: the web shop from morning to late
        evening, phone and email in office hours."""
        if channel == Channel.WEB_SHOP:
            hour = self.rng.choice([8, 9, 10, 12, 13, 15, 17, 18, 19, 20, 20, 21, 21, 22, 23])
        else:
            hour = self.rng.randrange(8, 16)
        return datetime.datetime.combine(
            day,
            datetime.time(hour, self.rng.randrange(60), self.rng.randrange(60)),
            tzinfo=_zone(),
        )

    def _busy_moment(self, source: str) -> datetime.datetime:
        """A moment of a busy day (`_busy_day`) as the channel has them, not later today
        than now."""
        while True:
            day = self._busy_day()
            moment = self._moment_on(day, self._channel_on(day, source))
            if self.start <= moment <= self.end:
                return moment

    def _channel_on(self, day: datetime.date, source: str) -> str:
        channel = {Source.EMAIL: Channel.EMAIL, Source.PHONE: Channel.PHONE}.get(
            Source(source), Channel.WEB_SHOP
        )
        # Customer service works on weekdays; the shop is always open.
        return Channel.WEB_SHOP if day.weekday() >= 5 else channel

    # The plan ----------------------------------------------------------------------

    def _plan(self) -> None:
        self.at(self.start, self._setup)
        sources = [Source.WEB_SHOP] * 11 + [Source.EMAIL] * 3 + [Source.PHONE] * 4
        arrivals = []
        for _number in range(self.wanted):
            source = self.rng.choice(sources)
            arrivals.append(self._busy_moment(source))
            self.at(arrivals[-1], functools.partial(self._arrive, source))
        # The first customer came on the first day: the history spans the two years.
        if arrivals:
            first = min(arrivals)
            self._queue = [item for item in self._queue if item[0] != first]
            heapq.heapify(self._queue)
            first_day = timezone.localtime(self.start, _zone()).date() + datetime.timedelta(days=1)
            self.at(
                datetime.datetime.combine(first_day, datetime.time(10, 12), tzinfo=_zone()),
                lambda: self._arrive(Source.PHONE),
            )
        for _number in range(round(self.wanted * REPEAT_ORDERS_PER_CUSTOMER)):
            self.at(self._busy_moment(Source.WEB_SHOP), self._repeat_order)
        self._plan_this_week()
        self._plan_campaigns()
        self._plan_requests()
        self._plan_breaches()
        self._plan_retention()

    def _plan_this_week(self) -> None:
        """What the start pages need today whatever the draw, no more than a day's work:
        an order not yet handled (the week's bar is never empty), open invoices, and
        returns waiting for customer service."""
        now = self.end
        # An order came in a quarter of an hour ago: not yet confirmed.
        self.at(now - datetime.timedelta(minutes=15), self._repeat_order)
        # Invoice orders taken by phone lately, not yet paid: their buyers' identity
        # codes are kept (P8) until the retention run after the invoices are paid.
        for hours in (50, 3):
            self.at(now - datetime.timedelta(hours=hours), self._invoice_order)
        # Returns that wait for customer service: asked for lately, not yet received.
        for hours in (50, 5):
            self.at(now - datetime.timedelta(hours=hours), self._recent_return)

    def _plan_campaigns(self) -> None:
        for year in range(self.start.year, self.end.year + 1):
            for month, day, name, subject, body in CAMPAIGNS:
                sent = datetime.datetime.combine(
                    datetime.date(year, month, day), datetime.time(10, 0), tzinfo=_zone()
                )
                if self.start + datetime.timedelta(days=60) < sent < self.end:
                    self.at(
                        sent - datetime.timedelta(days=2, hours=3),
                        functools.partial(self._campaign, sent, f"{name} {year}", subject, body),
                    )
        # A draft to try sending, written two days ago.
        self.at(self.end - datetime.timedelta(days=2), self._campaign_draft)

    def _plan_requests(self) -> None:
        """Requests answered in the past, and three open: one overdue (its month
        passed a few days ago), one due in a few days, one received two days ago."""
        step = datetime.timedelta(days=HISTORY_DAYS // (len(REQUESTS_CLOSED) + 1))
        for index, (kind, via, outcome) in enumerate(REQUESTS_CLOSED, start=1):
            received = self.start + step * index
            self.at(
                received,
                functools.partial(self._request, received, kind, via, outcome),
            )
        for days, kind, via in (
            (35, RequestKind.ACCESS, ReceivedVia.EMAIL),
            (26, RequestKind.ERASURE, ReceivedVia.LETTER),
            (2, RequestKind.RECTIFICATION, ReceivedVia.PHONE),
        ):
            received = self.end - datetime.timedelta(days=days)
            self.at(
                received,
                functools.partial(self._request, received, kind, via, ""),
            )

    def _plan_breaches(self) -> None:
        earlier = self.end - datetime.timedelta(days=250)
        self.at(earlier, lambda: self._breach_earlier(earlier))
        detected = self.end - datetime.timedelta(hours=30)
        self.at(detected + datetime.timedelta(hours=1), lambda: self._breach_now(detected))

    def _plan_retention(self) -> None:
        """The nightly retention run: on the first night of each quarter in the older
        history (every night would make the demo slow), and every night of the last
        few days, so that nothing is due when the demo ends."""
        night = datetime.datetime.combine(
            timezone.localtime(self.start, _zone()).date(),
            datetime.time(3, 0),
            tzinfo=_zone(),
        )
        nightly_from = self.end - datetime.timedelta(days=NIGHTLY_RETENTION_DAYS)
        while night < self.end:
            if night >= nightly_from or (night.day == 1 and night.month % 3 == 1):
                self.at(night, self._retention)
            night = datetime.datetime.combine(
                night.date() + datetime.timedelta(days=1), datetime.time(3, 0), tzinfo=_zone()
            )
        # Before three at night, tonight's run is made now: the retention run, asked
        # today, finds nothing due when the demo ends.
        if night.date() == timezone.localtime(self.end, _zone()).date():
            self.at(self.end, self._retention)

    # Steps -------------------------------------------------------------------------

    def _setup(self) -> None:
        """The shop's first day in the register: its products and a target group."""
        products_save(Actor.system("demo"))
        self.texts = consent_texts_current()
        target_group_save(
            actor=self.marketing,
            data=TargetGroupInput(name="Sähköpostiuutiskirje", channel="email"),
        )

    def _arrive(self, source: str) -> None:
        moment = timezone.now()
        day = timezone.localtime(moment, _zone()).date()
        actor = self.shop if source == Source.WEB_SHOP else self.service
        customer = customer_create(
            actor=actor,
            data=customer_input(self.fake, self.rng),
            source=source,
            allow_duplicate=True,
        )
        self.customers.append(customer)
        self.opted[customer.pk] = set()
        if self.rng.random() < FIRST_ORDER_SHARE:
            self._order(customer, self._channel_on(day, source))
        else:
            # Came for the newsletter only.
            self._grant(customer, ConsentChannel.EMAIL, ConsentSource.WEB_SHOP_CHECKOUT)
        self._plan_consent_changes(customer)

    def _repeat_order(self) -> None:
        for _attempt in range(5):
            customer = self.rng.choice(self.customers) if self.customers else None
            if customer is not None and customer.status == Status.ACTIVE:
                day = timezone.localdate()
                # Most come back through the shop; some call or write as they did.
                source = customer.source if self.rng.random() < 0.4 else Source.WEB_SHOP
                self._order(customer, self._channel_on(day, source))
                return

    def _invoice_order(self) -> None:
        """A phone order on invoice from a customer who has given no identity code yet."""
        candidates = [
            c for c in self.customers if c.status == Status.ACTIVE and c.pk not in self.codes
        ]
        if candidates:
            customer = self.rng.choice(candidates)
            self._identity_code(customer, approved=True)
            self._order(customer, Channel.PHONE, payment=PaymentMethod.INVOICE)

    def _lines(self) -> list[LineInput]:
        day = timezone.localdate()
        doy = day.timetuple().tm_yday
        if _bump(doy, 135, 30) > 0.5 and self.rng.random() < 0.7:
            skus: tuple[str, ...] = SPRING_SKUS
        elif _bump(doy, 340, 16) > 0.5 and self.rng.random() < 0.7:
            skus = CHRISTMAS_SKUS
        else:
            skus = ALL_YEAR_SKUS
        chosen = list(dict.fromkeys(self.rng.sample(skus, self.rng.choice([1, 1, 2, 2, 3]))))
        lines = [LineInput(sku, self.rng.choice([1, 1, 1, 2, 2, 3, 4])) for sku in chosen]
        if self.rng.random() < 0.05:
            lines.append(LineInput("KUP-01", 1))
        return lines

    def _order(self, customer: Customer, channel: str, payment: str = "") -> None:
        customer = Customer.objects.get(pk=customer.pk)
        if not payment and channel == Channel.WEB_SHOP:
            payment = self.rng.choices(
                [PaymentMethod.PREPAID, PaymentMethod.CASH_ON_DELIVERY], [9, 1]
            )[0]
        elif not payment:
            payment = self.rng.choices(
                [PaymentMethod.INVOICE, PaymentMethod.PREPAID, PaymentMethod.CASH_ON_DELIVERY],
                [5, 3, 2],
            )[0]
        consents = []
        allowed = customer.pk not in self.banned
        if (
            allowed
            and channel != Channel.WEB_SHOP
            and self.rng.random() < 0.25
            and ConsentChannel.EMAIL not in self.opted[customer.pk]
        ):
            consents.append(self.texts[ConsentChannel.EMAIL])
        invoice: dict[str, Any] = {}
        if payment == PaymentMethod.INVOICE:
            # Customer service asks for the code for each invoice order (P8, P12).
            invoice = {"check_credit": True, "identity_code": self._identity_code(customer)}
        order = order_create(
            actor=self.shop if channel == Channel.WEB_SHOP else self.service,
            customer=customer,
            channel=channel,
            payment_method=payment,
            lines=self._lines(),
            consents=consents,
            **invoice,
        )
        for text in consents:
            self.opted[customer.pk].add(text.channel)
        if allowed and channel == Channel.WEB_SHOP:
            if self.rng.random() < 0.35:
                self._grant(customer, ConsentChannel.EMAIL, ConsentSource.WEB_SHOP_CHECKOUT, order)
            if self.rng.random() < 0.1:
                self._grant(customer, ConsentChannel.SMS, ConsentSource.WEB_SHOP_CHECKOUT, order)
        self._plan_order(order, cleared=order_is_cleared_for_credit(order))

    def _identity_code(self, customer: Customer, *, approved: bool = False) -> str:
        if customer.pk not in self.codes:
            born = datetime.date(1945, 1, 1) + datetime.timedelta(days=self.rng.randrange(20000))
            # The simulator's answers: 900-939 no payment defaults, 940-959 defaults.
            defaults = not approved and self.rng.random() < 0.08
            individual = self.rng.randrange(940, 960) if defaults else None
            self.codes[customer.pk] = identity_code_for(
                born, individual or self.rng.randrange(900, 940)
            )
        return self.codes[customer.pk]

    def _plan_order(self, order: Order, *, cleared: bool) -> None:
        placed = order.placed_at
        if not cleared:
            # The credit check said no: the customer is called and the order cancelled.
            self.at(placed + self._hours(2, 26), lambda: self._status(order, "cancelled"))
            return
        if self.rng.random() < 0.03:
            self.at(placed + self._hours(1, 10), lambda: self._status(order, "cancelled"))
            return
        confirmed = placed + self._hours(0.3, 20)
        shipped = confirmed + self._hours(2, 30)
        delivered = shipped + self._hours(20, 96)
        self.at(confirmed, lambda: self._status(order, OrderStatus.CONFIRMED))
        self.at(shipped, lambda: self._ship(order))
        self.at(delivered, lambda: self._deliver(order))
        if order.payment_method == PaymentMethod.INVOICE:
            self.at(delivered + self._hours(5 * 24, 25 * 24), lambda: self._settle(order))
        if self.rng.random() < 0.08:
            returned = delivered + self._hours(2 * 24, 14 * 24)
            self.at(returned, lambda: self._return(order))

    def _status(self, order: Order, status: str) -> None:
        order_status_change(actor=self.service, order=order, status=status)

    def _ship(self, order: Order) -> None:
        delivery = delivery_create(
            actor=self.service,
            order=order,
            carrier=self.rng.choice(["posti", "posti", "matkahuolto", "db_schenker"]),
            tracking_code=f"JJFI{self.rng.randrange(10**12):012d}",
        )
        self.deliveries[order.pk] = delivery_status_change(
            actor=self.service, delivery=delivery, status="shipped"
        )
        order_status_change(actor=self.service, order=order, status=OrderStatus.SHIPPED)

    def _deliver(self, order: Order) -> None:
        delivery_status_change(
            actor=self.service, delivery=self.deliveries.pop(order.pk), status="delivered"
        )
        order_status_change(actor=self.service, order=order, status=OrderStatus.DELIVERED)

    def _settle(self, order: Order) -> None:
        order_settle(actor=self.service, order=order)

    def _return(self, order: Order) -> None:
        line = order.lines.exclude(unit_price=0).order_by("pk").first()
        if line is None:
            return
        reason = self.rng.choice(["Väärä koko", "Ei tarpeen", "Rikkoutui kuljetuksessa"])
        request = return_create(
            actor=self.service, order=order, quantities={line.pk: 1}, reason=reason
        )
        received = timezone.now() + self._hours(3 * 24, 7 * 24)
        self.at(received, lambda: self._return_step(request, ReturnStatus.RECEIVED))
        refund = line.unit_price if reason != "Ei tarpeen" or self.rng.random() < 0.8 else None
        self.at(
            received + self._hours(20, 72),
            lambda: self._return_step(
                request,
                ReturnStatus.REFUNDED if refund is not None else ReturnStatus.REJECTED,
                refund,
            ),
        )

    def _recent_return(self) -> None:
        """A customer asks to return something delivered lately."""
        order = (
            Order.objects.filter(status=OrderStatus.DELIVERED, returns__isnull=True)
            .order_by("-placed_at")
            .first()
        )
        if order is not None:
            self._return(order)

    def _return_step(self, request: Return, status: str, refund: Decimal | None = None) -> None:
        return_status_change(
            actor=self.service, return_request=request, status=status, refund_amount=refund
        )

    # Consents ----------------------------------------------------------------------

    def _grant(
        self, customer: Customer, channel: str, source: str, order: Order | None = None
    ) -> None:
        if customer.pk in self.banned or channel in self.opted[customer.pk]:
            return
        web = source == ConsentSource.WEB_SHOP_CHECKOUT
        consent_grant(
            actor=self.shop if web else self.service,
            customer=customer,
            channel=channel,
            source=source,
            language=customer.preferred_language,
            order=order,
            ip_address=f"{DOCUMENTATION_NETWORK}{self.rng.randrange(1, 255)}" if web else None,
            user_agent=USER_AGENT if web else "",
        )
        self.opted[customer.pk].add(channel)

    def _plan_consent_changes(self, customer: Customer) -> None:
        """Some withdraw a consent later, by email or by phone; a few forbid direct
        marketing altogether (and one in four of them lifts the ban again)."""
        now = timezone.now()
        draw = self.rng.random()
        if draw < 0.2:
            self.at(
                self._uniform(now + datetime.timedelta(days=7), self.end),
                lambda: self._withdraw(customer),
            )
        elif draw < 0.24:
            banned = self._uniform(now + datetime.timedelta(days=1), self.end)
            self.at(banned, lambda: self._ban(customer))
            if self.rng.random() < 0.25:
                self.at(self._uniform(banned, self.end), lambda: self._lift(customer))

    def _withdraw(self, customer: Customer) -> None:
        opted = sorted(self.opted[customer.pk])
        if not opted or customer.pk in self.banned:
            return
        channel = self.rng.choice(opted)
        consent_withdraw(
            actor=self.service,
            customer=customer,
            channel=channel,
            source=self.rng.choice([ConsentSource.EMAIL, ConsentSource.PHONE_CALL]),
            language=customer.preferred_language,
        )
        self.opted[customer.pk].discard(channel)

    def _ban(self, customer: Customer) -> None:
        marketing_ban(
            actor=self.service,
            customer=customer,
            source=ConsentSource.PHONE_CALL,
            language=customer.preferred_language,
        )
        self.banned.add(customer.pk)
        self.opted[customer.pk].clear()  # a ban cancels the opt-ins given before it

    def _lift(self, customer: Customer) -> None:
        marketing_ban_lift(
            actor=self.service,
            customer=customer,
            source=ConsentSource.PHONE_CALL,
            language=customer.preferred_language,
        )
        self.banned.discard(customer.pk)

    # Campaigns ---------------------------------------------------------------------

    def _campaign(self, sent: datetime.datetime, name: str, subject: str, body: str) -> None:
        group = TargetGroup.objects.get(name="Sähköpostiuutiskirje")
        if not customers_eligible(group.channel).exists():
            return
        campaign = campaign_save(
            actor=self.marketing,
            data=CampaignInput(
                name=name,
                channel="email",
                target_group=group,
                subject=subject,
                body=body,
            ),
        )
        self.at(sent, lambda: self._campaign_send(campaign))

    def _campaign_send(self, campaign: Campaign) -> None:
        if not campaign_recipients(campaign).exists():
            return  # a demo of a few customers may have no one to send to: a draft stays
        campaign = campaign_send(actor=self.marketing, campaign=campaign, version=campaign.version)
        # As the worker does at once (the queued task, when it runs, finds it sent).
        campaign_run(campaign_id=campaign.pk)
        sent = list(
            CampaignMessage.objects.filter(campaign=campaign, status=MessageStatus.SENT).order_by(
                "pk"
            )
        )
        for message in self.rng.sample(sent, min(len(sent), self.rng.randint(1, 3))):
            self.at(
                timezone.now() + self._hours(1, 72),
                functools.partial(self._unsubscribe, message),
            )

    def _unsubscribe(self, message: CampaignMessage) -> None:
        campaign_unsubscribe(
            message=message,
            ip_address=f"{DOCUMENTATION_NETWORK}{self.rng.randrange(1, 255)}",
            user_agent=USER_AGENT,
        )
        self.opted[message.customer_id].discard(ConsentChannel.EMAIL)

    def _campaign_draft(self) -> None:
        month = timezone.localdate().month
        season_name = {12: "Joulun", 1: "Talven", 2: "Talven", 3: "Kevään", 4: "Kevään"}.get(
            month, "Kesän" if month in (5, 6, 7, 8) else "Syksyn"
        )
        campaign_save(
            actor=self.marketing,
            data=CampaignInput(
                name=f"{season_name} uutiskirje",
                channel="email",
                target_group=TargetGroup.objects.get(name="Sähköpostiuutiskirje"),
                subject=f"{season_name} uutuudet varastolta",
                body="Hei!\n\nUudet hyllyt ja laatikot ovat tulleet.\n\nTervetuloa!",
            ),
        )

    # The privacy officer's work -------------------------------------------------------

    def _request(self, received: datetime.datetime, kind: str, via: str, outcome: str) -> None:
        customers = [c for c in self.customers if c.status == Status.ACTIVE]
        if not customers:
            return
        customer = self.rng.choice(customers)
        request = subject_request_record(
            actor=self.privacy,
            kind=kind,
            received_via=via,
            received_at=received,
            customer=customer,
            name=f"{customer.first_names} {customer.surname}",
            email=customer.email,
            verification_note=VERIFIED,
        )
        if outcome:
            self.at(
                received + self._hours(8 * 24, 20 * 24),
                lambda: self._request_complete(request, outcome),
            )

    def _request_complete(self, request: SubjectRequest, outcome: str) -> None:
        subject_request_complete(actor=self.privacy, request=request, outcome=outcome)

    def _breach_earlier(self, detected: datetime.datetime) -> None:
        breach = breach_record(
            actor=self.privacy,
            detected_at=detected - datetime.timedelta(hours=2),
            occurred_at=detected - datetime.timedelta(hours=5),
            summary="Tilausvahvistus lähti väärälle vastaanottajalle",
            description=(
                "Asiakaspalvelu kirjoitti sähköpostiosoitteen väärin; vastaanottaja "
                "ilmoitti asiasta ja poisti viestin."
            ),
            data_categories=[DataCategory.NAMES, DataCategory.ORDER_HISTORY],
            people_affected=1,
            records_affected=1,
            likely_consequences="Epätodennäköinen riski: viestissä ei ollut maksutietoja.",
            measures_taken="Vastaanottaja vahvisti poistaneensa viestin.",
        )
        self.at(
            detected + datetime.timedelta(hours=20),
            lambda: breach_decide(
                actor=self.privacy,
                breach=breach,
                decision=BreachDecision.NOT_NOTIFY,
                reason="Yksi viesti, poistettu; ei todennäköistä riskiä (art. 33(1)).",
                version=None,
            ),
        )

    def _breach_now(self, detected: datetime.datetime) -> None:
        breach_record(
            actor=self.privacy,
            detected_at=detected,
            occurred_at=detected - datetime.timedelta(hours=9),
            summary="Kadonnut kannettava tietokone",
            description=(
                "Asiakaspalvelun kannettava jäi junaan. Levy on salattu; selvitetään, "
                "oliko koneella asiakasrekisterin vientejä."
            ),
            data_categories=[DataCategory.NAMES, DataCategory.CONTACT_DETAILS],
            people_affected=None,
            records_affected=None,
            likely_consequences="Selvitetään.",
            measures_taken="Koneen tunnukset suljettu ja salasanat vaihdettu.",
        )

    def _retention(self) -> None:
        retention_run(actor=Actor.system(RETENTION_ACTOR), today=timezone.localdate())
