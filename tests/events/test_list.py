"""GET /api/events/: scope, filters and a query count that does not grow with the page."""

import pytest
from django.utils import timezone

from events.models import Event
from grids.models import Center

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.json()
    return {e["id"] for e in response.json()["results"]}


def test_filters(api, drive, report, dept):
    reported, dispatched, closed = drive("reported"), drive("dispatched"), drive("closed")
    urgent = report(urgent=True, description="紧急：燃气泄漏气味")
    client = api.as_user("hangtianlu")
    assert {reported.pk, dispatched.pk, closed.pk, urgent.pk} <= ids(client.get("/api/events/", {"page_size": 500}))
    assert ids(client.get("/api/events/", {"state": ["reported"]})) >= {reported.pk, urgent.pk}
    assert closed.pk not in ids(client.get("/api/events/", {"state": ["reported", "dispatched"]}))
    assert ids(client.get("/api/events/", {"urgent": "true"})) == {urgent.pk}
    assert ids(client.get("/api/events/", {"search": "燃气"})) == {urgent.pk}
    assert ids(client.get("/api/events/", {"search": urgent.number})) == {urgent.pk}
    assert ids(client.get("/api/events/", {"department": dept("police").pk})) == {dispatched.pk}
    today = timezone.localdate().isoformat()
    assert urgent.pk in ids(client.get("/api/events/", {"created_after": today, "created_before": today}))
    assert ids(client.get("/api/events/", {"created_before": "2000-01-01"})) == set()
    assert ids(client.get("/api/events/", {"overdue": "true"})) == set()
    town = Center.objects.get(name="柳城街道")
    assert urgent.pk in ids(api.as_user("duty").get("/api/events/", {"center": town.pk}))
    assert urgent.pk not in ids(
        api.as_user("duty").get("/api/events/", {"center": Center.objects.get(name="永宁街道").pk})
    )


def test_overdue_filter(api, report):
    late = report()
    Event.objects.filter(pk=late.pk).update(deadline=timezone.now() - timezone.timedelta(hours=1))
    rows = api.as_user("hangtianlu").get("/api/events/", {"overdue": "true"}).json()["results"]
    assert [(r["id"], r["overdue"]) for r in rows] == [(late.pk, True)]


def test_bad_filter_values_are_400(api):
    client = api.as_user("hangtianlu")
    assert client.get("/api/events/", {"state": "nonsense"}).status_code == 400
    assert client.get("/api/events/", {"created_after": "yesterday"}).status_code == 400
    assert client.get("/api/events/", {"center": Center.objects.get(name="城武社区").pk}).status_code == 400


def test_my_reports_and_my_tasks(api, report, drive):
    mine = report("volunteer")
    assert ids(api.as_user("volunteer").get("/api/events/", {"mine": "reported"})) == {mine.pk}
    ticket = drive("dispatched")
    assert ticket.pk in ids(api.as_user("police").get("/api/events/", {"mine": "tasks"}))
    assert ticket.pk not in ids(api.as_user("police").get("/api/events/", {"mine": "reported"}))


def test_the_list_query_count_does_not_grow_with_the_page(api, report):
    for _ in range(12):
        report()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api.as_user("hangtianlu")
    client.get("/api/events/")  # the first request also loads the user's center
    counts = []
    for size in (2, 12):
        with CaptureQueriesContext(connection) as ctx:
            assert len(client.get("/api/events/", {"page_size": size}).json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 5


def test_the_detail_query_count_is_fixed(api, drive):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    event = drive("dispatched")
    with CaptureQueriesContext(connection) as ctx:
        assert api.as_user("hangtianlu").get(f"/api/events/{event.pk}/").status_code == 200
    assert len(ctx.captured_queries) <= 8


def test_rows_carry_exactly_the_documented_fields(api, report):
    from events.api.serializers import EventCreatedSerializer, EventListSerializer

    report()
    row = api.as_user("hangtianlu").get("/api/events/").json()["results"][0]
    assert list(row) == list(EventListSerializer().fields)
    created = (
        api.as_user("gridworker")
        .post(
            "/api/events/",
            {
                "category": row["category"]["id"],
                "description": "x",
                "lat": row["lat"],
                "lng": row["lng"],
                "client_id": "0b8e3a52-4a86-4c38-9a4e-3c1a1c9c2d11",
            },
            format="json",
        )
        .json()
    )
    assert list(created) == list(EventCreatedSerializer().fields)
    detail = api.as_user("hangtianlu").get(f"/api/events/{row['id']}/").json()
    assert {k: detail[k] for k in row} == row  # the same values whichever way they are built


def test_a_row_read_as_values_is_the_row_built_from_the_event(api, drive, report):
    """The list reads values (event_brief_row); intake answers with the model (event_brief): the same row."""
    from django.utils import timezone

    from events.api.serializers import event_brief
    from events.models import Event

    made = [drive("closed"), drive("dispatched"), report(address="")]
    now = timezone.now()
    rows = {row["id"]: row for row in api.as_user("hangtianlu").get("/api/events/").json()["results"]}
    for event in made:
        expected = event_brief(Event.objects.select_related("category", "center", "grid").get(pk=event.pk), now)
        row = rows[event.pk]
        assert {k: v for k, v in row.items() if k != "overdue"} == {k: v for k, v in expected.items() if k != "overdue"}
        assert row["lat"] == pytest.approx(expected["lat"]) and row["lng"] == pytest.approx(expected["lng"])


# --- the compiled page (wenjiang_ops.api.ValuesPage) and the narrowed filters (FilterBackend) -------------

FILTER_CASES = [
    {},
    {"state": ["reported", "dispatched"]},
    {"state": ["closed"], "urgent": "false"},
    {"urgent": "true"},
    {"search": "燃气"},
    {"created_after": "2000-01-01", "light": ["green", "yellow", "red"]},
    {"created_before": "2000-01-01"},  # nothing
    {"overdue": "false"},
    {"mine": "reported"},
    {"source": ["patrol", "hotline", "iot"]},
    {"department": 0},
    {"category": "__category__"},  # joins the category's parent: read by the ORM
    {"page": 2, "page_size": 2},
]


@pytest.mark.parametrize("query", FILTER_CASES, ids=lambda q: ",".join(q) or "none")
def test_the_compiled_page_reads_what_the_orm_reads(api, drive, report, category, query):
    """The list's count and rows come from statements compiled once (ValuesPage); the ORM's values
    query of the same filtered list gives the same count, rows, order and values."""
    from django.core.paginator import Paginator

    from accounts.models import User
    from accounts.scope import scope_for
    from events.api.filters import EventFilter
    from events.api.serializers import BRIEF_COLUMNS, BRIEF_POINT
    from wenjiang_ops.api import ValuesPage

    for state in ("reported", "dispatched", "closed"):
        drive(state)
    report(urgent=True, description="紧急：燃气泄漏气味")
    report(description="燃气表箱破损")
    query = {k: (category.pk if v == "__category__" else v) for k, v in query.items()}
    user = User.objects.get(username="hangtianlu")
    response = api.as_user("hangtianlu").get("/api/events/", {"page_size": 3, **query})
    assert response.status_code == 200, response.json()

    from types import SimpleNamespace

    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for key, value in query.items():
        data.setlist(key, value if isinstance(value, list) else [str(value)])
    filtered = EventFilter(data, queryset=scope_for(user).events(), request=SimpleNamespace(user=user)).qs
    filtered = filtered.order_by("-created_at", "-id")
    compiled = ValuesPage(filtered, *BRIEF_COLUMNS, **BRIEF_POINT)
    by_orm = list(filtered.values(*BRIEF_COLUMNS, **BRIEF_POINT))
    assert compiled.count() == len(by_orm) == response.json()["count"]
    assert compiled[0 : len(by_orm) + 5] == by_orm
    assert compiled[1:3] == by_orm[1:3]
    size = int(query.get("page_size", 3))
    page = Paginator(compiled, size).page(int(query.get("page", 1)))
    assert [row["id"] for row in page] == [row["id"] for row in response.json()["results"]]


def test_the_compiled_page_is_used_for_a_plain_filtered_list_and_not_for_a_joined_one(category):
    from events.api.serializers import BRIEF_COLUMNS, BRIEF_POINT
    from wenjiang_ops.api import _NOTHING, ValuesPage

    plain = Event.objects.filter(state="closed", origin_center_id__in=[1, 2]).order_by("-created_at", "-id")
    assert ValuesPage(plain, *BRIEF_COLUMNS, **BRIEF_POINT)._template is not None
    joined = plain.filter(category__parent=category)
    assert ValuesPage(joined, *BRIEF_COLUMNS, **BRIEF_POINT)._template is None
    nothing = Event.objects.filter(pk__in=[]).order_by("-created_at")
    page = ValuesPage(nothing, *BRIEF_COLUMNS, **BRIEF_POINT)
    assert page._where is _NOTHING and page.count() == 0 and page[0:25] == []


def test_only_the_named_filters_are_validated_and_applied(api, report):
    """FilterBackend builds the filters a query names; a bad value of one is still a 400, and the
    browsable API still offers the whole filter form."""
    from django.http import QueryDict

    from events.api.filters import EventFilter
    from wenjiang_ops.api import FilterBackend, _narrowed

    narrowed = _narrowed(EventFilter, frozenset({"state", "urgent"}))
    assert set(narrowed.base_filters) == {"state", "urgent"} and set(EventFilter.base_filters) >= {"center", "search"}
    assert narrowed is _narrowed(EventFilter, frozenset({"state", "urgent"}))  # built once
    client = api.as_user("hangtianlu")
    assert client.get("/api/events/", {"grid": "abc"}).status_code == 400
    assert client.get("/api/events/", {"created_before": "someday"}).status_code == 400
    assert client.get("/api/events/", {"unknown": "x"}).status_code == 200

    class View:
        filterset_class = EventFilter

    class Request:
        query_params = QueryDict("state=closed")
        user = None

    Request.accepted_renderer = type("Renderer", (), {"format": "json"})()
    assert set(FilterBackend().get_filterset(Request, Event.objects.all(), View).filters) == {"state"}
    Request.accepted_renderer = type("Renderer", (), {"format": "api"})()
    assert set(FilterBackend().get_filterset(Request, Event.objects.all(), View).filters) == set(
        EventFilter.base_filters
    )


def test_a_narrowed_filter_set_gives_each_request_its_own_filters():
    """The narrowed set's shallow copies (instead of FilterSet's deep copy): each request's filters
    are its own, bound to its own filter set, and the class's filters are left as they were."""
    from django.http import QueryDict

    from events.api.filters import EventFilter
    from wenjiang_ops.api import _narrowed

    narrowed = _narrowed(EventFilter, frozenset({"center", "created_after"}))
    first = narrowed(QueryDict("created_after=2026-01-01"), queryset=Event.objects.all())
    second = narrowed(QueryDict("created_after=2026-02-01"), queryset=Event.objects.none())
    for name in ("center", "created_after"):
        base, one, two = narrowed.base_filters[name], first.filters[name], second.filters[name]
        assert one is not two and one is not base
        assert one.parent is first and two.parent is second and getattr(base, "parent", None) is None
        assert one.extra is not base.extra and one.extra is not two.extra
    assert first.filters["center"].filter.f is first.filters["center"]  # its method calls its own set
    assert second.filters["created_after"].filter.f is second.filters["created_after"]
    assert first.is_valid() and second.is_valid()
    assert first.form.cleaned_data["created_after"] != second.form.cleaned_data["created_after"]
