"""The server-drawn SVG charts (rekisteri/charts.py) and the weeks and months the start
page counts in (rekisteri/dashboard/): valid, named, escaped SVG that survives
empty data; Helsinki weeks and months at their boundaries, daylight saving included."""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from rekisteri.audit.services import Actor
from rekisteri.charts import COLOURS, Chart, Series
from rekisteri.customers.merging import customer_merge
from rekisteri.customers.models import Customer, Source, Status
from rekisteri.dashboard.charts import customers_chart, orders_chart
from rekisteri.dashboard.periods import month_starts, week_starts
from rekisteri.orders.models import Product, Return
from rekisteri.orders.services import LineInput, order_create, return_create
from rekisteri.testing.factories import make_customer

SVG = "{http://www.w3.org/2000/svg}"
HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")
UTC = datetime.UTC
SYSTEM = Actor.system("test")


def chart(**overrides: object) -> Chart:
    values: dict[str, object] = {
        "chart_id": "chart-test",
        "title": "Orders per week",
        "description": "Orders placed in each of the last three weeks.",
        "kind": "bars",
        "categories": ("wk 1", "wk 2", "wk 3"),
        "category_names": ("Week 1", "Week 2", "Week 3"),
        "series": (Series("Orders", (10, 5, 0)), Series("Returns", (2, 1, 0))),
        "category_heading": "Week",
    }
    values.update(overrides)
    return Chart(**values)  # type: ignore[arg-type]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 -- our own output, parsed to check it


def tag(element: ET.Element) -> str:
    return element.tag.removeprefix(SVG)


def value_shapes(root: ET.Element) -> list[ET.Element]:
    """The bars and points: the shapes that carry a <title> of their own."""
    return [e for e in root.iter() if tag(e) != "svg" and e.find(f"{SVG}title") is not None]


@pytest.mark.parametrize("kind", ["bars", "stacked", "lines"])
def test_a_chart_is_valid_svg_named_by_its_title_and_description(kind):
    root = parse(chart(kind=kind).svg)

    assert tag(root) == "svg"
    assert root.get("role") == "img"
    assert [tag(child) for child in root[:2]] == ["title", "desc"]
    assert root[0].text == "Orders per week"
    assert root[1].text == "Orders placed in each of the last three weeks."
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    assert all(str(name).startswith("chart-test-") for name in ids)
    assert set(str(root.get("aria-labelledby")).split()) <= set(ids)
    # The content security policy forbids inline styles: presentation attributes only.
    assert all(e.get("style") is None for e in root.iter())
    assert not any(tag(e) in ("style", "script", "foreignObject") for e in root.iter())


@pytest.mark.parametrize("kind", ["bars", "stacked", "lines"])
def test_every_value_is_drawn_with_its_own_title(kind):
    root = parse(chart(kind=kind).svg)

    titles = [shape.find(f"{SVG}title").text for shape in value_shapes(root)]  # type: ignore[union-attr]

    by_category = [
        ["Orders, Week 1: 10", "Returns, Week 1: 2"],
        ["Orders, Week 2: 5", "Returns, Week 2: 1"],
        ["Orders, Week 3: 0", "Returns, Week 3: 0"],
    ]
    # Bars go category by category; a line is drawn series by series.
    expected = [title for pair in by_category for title in pair]
    if kind == "lines":
        expected = [pair[0] for pair in by_category] + [pair[1] for pair in by_category]
    assert titles == expected


def test_every_text_is_escaped():
    nasty = 'Tom & "Jerry" <script>alert(1)</script>'
    svg = chart(
        title=nasty,
        description=nasty,
        categories=("<b>1</b>", "2", "3"),
        category_names=("<b>1</b>", "2", "3"),
        series=(Series(nasty, (1, 2, 3)),),
    ).svg

    root = parse(svg)

    assert "<script>" not in svg and "<b>" not in svg
    assert root[0].text == nasty
    texts = [e.text for e in root.iter() if tag(e) == "text"]
    assert nasty in texts and "<b>1</b>" in texts
    assert not any(tag(e) in ("script", "b") for e in root.iter())


@pytest.mark.parametrize(
    "categories,values",
    [((), ()), (("1/2026", "2/2026"), (0, 0)), (("1/2026", "2/2026"), (None, None))],
)
@pytest.mark.parametrize("kind", ["bars", "stacked", "lines"])
def test_empty_data_gives_a_valid_chart_that_says_so(kind, categories, values):
    empty = chart(
        kind=kind,
        categories=categories,
        category_names=categories,
        series=(Series("Orders", values),),
    )

    root = parse(empty.svg)

    assert empty.is_empty
    assert "No data for this period" in [e.text for e in root.iter() if tag(e) == "text"]
    assert value_shapes(root) == []
    assert len(empty.rows) == len(categories)


def test_a_share_of_nothing_is_drawn_as_zero_per_cent():
    """No one reached is a value: the line lies at 0 %, it does not say "no data"."""
    zero = chart(kind="lines", percent=True, series=(Series("SMS", (0, 0, 0)),))

    root = parse(zero.svg)

    assert not zero.is_empty
    assert len(value_shapes(root)) == 3
    assert "No data for this period" not in [e.text for e in root.iter()]


def test_bars_are_as_tall_as_their_values_on_a_round_scale():
    root = parse(chart(series=(Series("Orders", (10, 5, 0)),)).svg)

    bars = [float(str(shape.get("height"))) for shape in value_shapes(root)]
    ticks = [e.text for e in root.iter() if tag(e) == "text" and e.get("text-anchor") == "end"]

    assert bars[0] == pytest.approx(2 * bars[1], abs=0.2)
    assert bars[2] == 0
    assert ticks == ["0", "5", "10"]


def test_stacked_bars_put_the_series_on_top_of_each_other():
    root = parse(chart(kind="stacked", series=(Series("A", (3, 1, 0)), Series("B", (1, 3, 0)))).svg)

    shapes = value_shapes(root)
    first_a, first_b = shapes[0], shapes[1]

    assert first_a.get("x") == first_b.get("x")
    bottom_of_b = float(str(first_b.get("y"))) + float(str(first_b.get("height")))
    assert bottom_of_b == pytest.approx(float(str(first_a.get("y"))), abs=0.2)
    assert float(str(first_a.get("height"))) == pytest.approx(
        3 * float(str(first_b.get("height"))), abs=0.3
    )


def test_series_differ_by_more_than_colour():
    """Bars get a pattern each (solid, stripes, dots…), lines a dash and a marker shape."""
    three = (Series("A", (1, 2, 3)), Series("B", (2, 3, 1)), Series("C", (3, 1, 2)))
    bars = parse(chart(series=three).svg)
    lines = parse(chart(kind="lines", series=three).svg)

    patterns = [p for p in bars.iter() if tag(p) == "pattern"]
    assert [len(list(p)) for p in patterns] == [1, 2, 2]  # the colour, then a texture
    assert [p[0].get("fill") for p in patterns] == list(COLOURS[:3])
    paths = [p for p in lines.iter() if tag(p) == "path"]
    assert [p.get("stroke-dasharray") for p in paths] == [None, "6 3", "2 3"]
    assert [tag(shape) for shape in value_shapes(lines)[::3]] == ["circle", "rect", "polygon"]
    legend = [e.text for e in lines.iter() if tag(e) == "text" and e.text in ("A", "B", "C")]
    assert legend == ["A", "B", "C"]


def test_a_missing_value_breaks_the_line():
    root = parse(chart(kind="lines", series=(Series("Email", (10, None, 30)),), percent=True).svg)

    (path,) = [p for p in root.iter() if tag(p) == "path"]

    assert re.fullmatch(r"M[\d.]+,[\d.]+ M[\d.]+,[\d.]+", str(path.get("d")))
    assert len(value_shapes(root)) == 2


def test_a_long_line_is_one_path():
    root = parse(chart(kind="lines", series=(Series("Email", (10, 20, 30)),), percent=True).svg)

    (path,) = [p for p in root.iter() if tag(p) == "path"]

    assert re.fullmatch(r"M[\d.]+,[\d.]+ L[\d.]+,[\d.]+ L[\d.]+,[\d.]+", str(path.get("d")))


def test_a_chart_refuses_an_id_unfit_for_svg_and_values_that_do_not_match():
    with pytest.raises(ValueError, match="not an id"):
        chart(chart_id="two words")
    with pytest.raises(ValueError, match="a value for every category"):
        chart(series=(Series("Orders", (1, 2)),))
    with pytest.raises(ValueError, match="a name for every category"):
        chart(category_names=("Week 1",))


def test_numbers_follow_the_language():
    counts = chart(series=(Series("Orders", (1234, 5, 0)),))
    shares = chart(kind="lines", series=(Series("Email", (12.5, 100, None)),), percent=True)

    with translation.override("en"):
        english = (counts.rows[0][1], shares.rows[0][1], shares.rows[2][1])
    with translation.override("fi"):
        finnish = (counts.rows[0][1][0], shares.rows[0][1][0])
        ticks = [e.text for e in parse(shares.svg).iter() if e.get("text-anchor") == "end"]

    assert english == (["1,234"], ["12.5%"], ["–"])
    assert finnish[0] == "1\xa0234"
    assert re.fullmatch("12,5\xa0?%", finnish[1])
    assert [re.sub("\xa0", "", str(tick)) for tick in ticks] == ["0%", "25%", "50%", "75%", "100%"]


# Weeks and months in Helsinki ----------------------------------------------------------


def test_months_start_at_midnight_in_helsinki_across_daylight_saving():
    now = datetime.datetime(2026, 4, 2, 0, 30, tzinfo=HELSINKI)  # 1 April 21:30 UTC

    starts = month_starts(now, months=4)

    assert starts == [datetime.datetime(2026, month, 1, tzinfo=HELSINKI) for month in (1, 2, 3, 4)]
    assert [start.utcoffset() for start in starts] == [
        datetime.timedelta(hours=h) for h in (2, 2, 2, 3)
    ]
    assert month_starts(datetime.datetime(2026, 1, 10, tzinfo=HELSINKI), months=2)[
        0
    ] == datetime.datetime(2025, 12, 1, tzinfo=HELSINKI)


def test_weeks_start_on_monday_at_midnight_in_helsinki():
    sunday_night = datetime.datetime(2026, 3, 29, 23, 59, tzinfo=HELSINKI)  # DST began today

    starts = week_starts(sunday_night, weeks=2)

    assert starts == [
        datetime.datetime(2026, 3, 16, tzinfo=HELSINKI),
        datetime.datetime(2026, 3, 23, tzinfo=HELSINKI),
    ]
    assert week_starts(datetime.datetime(2026, 3, 29, 22, 30, tzinfo=UTC), weeks=1) == [
        datetime.datetime(2026, 3, 30, tzinfo=HELSINKI)  # already Monday in Helsinki
    ]


@pytest.mark.django_db
def test_new_customers_are_counted_in_the_helsinki_month_they_came():
    """31 January 22:30 UTC is already 1 February in Helsinki."""

    def customer_at(moment: datetime.datetime, source: str) -> None:
        customer = make_customer(source=source)
        Customer.objects.filter(pk=customer.pk).update(created_at=moment)

    customer_at(datetime.datetime(2026, 1, 31, 21, 30, tzinfo=UTC), Source.WEB_SHOP)  # 23:30
    customer_at(datetime.datetime(2026, 1, 31, 22, 30, tzinfo=UTC), Source.WEB_SHOP)  # 00:30
    customer_at(datetime.datetime(2026, 2, 14, 12, 0, tzinfo=UTC), Source.PHONE)
    customer_at(datetime.datetime(2025, 3, 31, 20, 59, tzinfo=UTC), Source.EMAIL)  # too old
    customer_at(datetime.datetime(2025, 3, 31, 21, 0, tzinfo=UTC), Source.IMPORT)  # 1 April
    now = datetime.datetime(2026, 3, 15, 12, 0, tzinfo=HELSINKI)

    with translation.override("en"):
        result = customers_chart(starts=month_starts(now))

    assert result.categories[0] == "4/2025" and result.categories[-3:] == (
        "1/2026",
        "2/2026",
        "3/2026",
    )
    assert result.category_names[-1] == "March 2026"
    counts = {series.label: series.values for series in result.series}
    assert counts["Web shop"][-3:] == (1, 1, 0)
    assert counts["Phone"][-3:] == (0, 1, 0)
    assert counts["Import"] == (1,) + (0,) * 11
    assert counts["Email"] == (0,) * 12


@pytest.mark.django_db
def test_a_record_merged_into_another_is_not_a_new_customer():
    """One person who came twice and whose records were merged is one new customer."""
    kept, other = make_customer(source=Source.WEB_SHOP), make_customer(source=Source.PHONE)
    customer_merge(actor=SYSTEM, kept=kept, other=other, choices={})

    with translation.override("en"):
        result = customers_chart(starts=month_starts(timezone.now()))

    counts = {series.label: series.values[-1] for series in result.series}
    assert Customer.objects.filter(status=Status.MERGED).count() == 1
    assert counts["Web shop"] == 1
    assert counts["Phone"] == 0


@pytest.mark.django_db
def test_orders_and_returns_are_counted_in_the_helsinki_week_they_came():
    """Sunday 23:30 in Helsinki belongs to that week; Monday 00:30 (still Sunday in UTC)
    to the next."""
    Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90"))

    def order_at(local: datetime.datetime):
        return order_create(
            actor=SYSTEM,
            customer=make_customer(),
            channel="phone",
            payment_method="prepaid",
            lines=[LineInput("HYL-120", 1)],
            placed_at=local.astimezone(UTC),
        )

    sunday = order_at(datetime.datetime(2026, 3, 8, 23, 30, tzinfo=HELSINKI))
    order_at(datetime.datetime(2026, 3, 9, 0, 30, tzinfo=HELSINKI))
    order_at(datetime.datetime(2025, 12, 21, 23, 0, tzinfo=HELSINKI))  # before the twelve weeks
    returned = return_create(
        actor=SYSTEM, order=sunday, quantities={sunday.lines.get().pk: 1}, reason="Väärä koko."
    )
    Return.objects.filter(pk=returned.pk).update(
        created_at=datetime.datetime(2026, 3, 15, 22, 30, tzinfo=UTC)  # Monday 00:30
    )
    now = datetime.datetime(2026, 3, 18, 12, 0, tzinfo=HELSINKI)

    with translation.override("en"):
        result = orders_chart(now=now)

    assert result.categories[-3:] == ("wk 10", "wk 11", "wk 12")
    assert result.category_names[-2] == "Week 11, from 03/09/2026"
    orders, returns = (series.values for series in result.series)
    assert orders == (0,) * 9 + (1, 1, 0)
    assert returns == (0,) * 11 + (1,)
