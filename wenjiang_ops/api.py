"""Shared REST pieces: pagination and the JSON error contract of DESIGN.md ("API v1")."""

import copy
import dataclasses
import functools
import logging

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError, connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .ratelimit import RateLimited

log = logging.getLogger(__name__)

# What a client is told when the database cannot be reached (pages too: wenjiang_ops.unavailable),
# and how long to wait (a restart takes seconds).
DATABASE_RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = gettext_lazy("The database is unavailable for a moment. Please try again shortly.")


def first_line(exc: BaseException) -> str:
    """An exception's first line, for a one-line log of an outage (psycopg2's messages run on)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000


class ValuesPage:
    """A list's rows for the paginator, read as values with their related names (`columns`,
    `expressions`), while the count is the filtered queryset's own: a count over `.values()` with
    related columns would join every related table for nothing (a town's count of events 3 → 19 ms).

    The filtered queryset's conditions are compiled once, and the count and the page are that WHERE
    inside statements built once per list (`_page_template`): the ORM compiles a query each time it
    runs, and for a page of events compiling the two cost more than running them (bench-intake's list).
    A queryset whose conditions join other tables, or that is not a plain filtered table, goes through
    the ORM as before; a test proves both give the same rows."""

    ordered = True  # the queryset's order (Paginator warns about unordered lists)

    def __init__(self, queryset, *columns: str, **expressions):
        self._queryset = queryset
        self._columns, self._expressions = columns, expressions
        self._where = _where_sql(queryset)

    @functools.cached_property
    def _template(self):
        query = self._queryset.query
        if self._where is None or not query.order_by:
            return None
        key = (self._queryset.model, self._columns, tuple(self._expressions.items()), tuple(query.order_by))
        return _page_template(*key, self._queryset.db)

    def count(self) -> int:
        if self._template is None:
            return self._queryset.count()
        if self._where is _NOTHING:
            return 0
        where, params = self._where
        with connections[self._queryset.db].cursor() as cursor:
            cursor.execute(f'SELECT COUNT(*) FROM "{self._queryset.model._meta.db_table}"{where}', params)
            return cursor.fetchone()[0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        template = self._template
        if template is None or not isinstance(index, slice) or index.step is not None:
            rows = self._queryset.values(*self._columns, **self._expressions)
            return list(rows[index]) if isinstance(index, slice) else rows[index]
        if self._where is _NOTHING:
            return []
        start, stop = index.start or 0, index.stop
        where, params = self._where
        sql = f"{template.select_from}{where} ORDER BY {template.order_by}"
        if stop is not None:
            sql += f" LIMIT {int(stop) - int(start)}"
        if start:
            sql += f" OFFSET {int(start)}"
        connection = connections[self._queryset.db]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        names, converters = template.names, template.converters
        page = []
        for row in rows:
            if converters:
                row = list(row)
                for position, (functions, expression) in converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
            page.append(dict(zip(names, row, strict=True)))
        return page


_NOTHING = object()  # a filtered queryset that matches nothing (an empty `__in`, `.none()`)


def _where_sql(queryset):
    """The WHERE of a queryset over one table (" WHERE …", params), "" for no condition, _NOTHING when
    nothing can match; None when it is anything else (joins, annotations, distinct …): the ORM reads it."""
    from django.core.exceptions import EmptyResultSet, FullResultSet

    query = queryset.query
    table = queryset.model._meta.db_table
    if (
        any(query.alias_refcount[alias] for alias in query.alias_map if alias != table)
        or query.annotations
        or query.extra
        or query.distinct
        or query.combinator
        or query.group_by is not None
        or query.low_mark
        or query.high_mark is not None
        or query.select_for_update
    ):
        return None
    try:
        sql, params = query.get_compiler(queryset.db).compile(query.where)
    except EmptyResultSet:
        return _NOTHING
    except FullResultSet:
        return "", ()
    return (f" WHERE {sql}" if sql else ""), tuple(params)


@dataclasses.dataclass(frozen=True)
class _PageTemplate:
    select_from: str  # SELECT … FROM … JOIN …, no WHERE
    order_by: str
    names: tuple[str, ...]
    converters: tuple  # (position, (functions, expression)) as the ORM applies them


@functools.lru_cache(maxsize=64)
def _page_template(model, columns, expressions, ordering, using):
    """The statement of a values page over `model` in `ordering`, compiled by the ORM once; None when
    it has parameters of its own or does not split into SELECT … FROM and ORDER BY (the ORM reads it)."""
    rows = model._default_manager.values(*columns, **dict(expressions)).order_by(*ordering)
    compiler = rows.query.get_compiler(using)
    sql, params = compiler.as_sql()
    head, order_by = sql.rsplit(" ORDER BY ", 1) if sql.count(" ORDER BY ") == 1 else (sql, "")
    if params or not order_by or " WHERE " in head:
        return None
    query = rows.query
    names = (*query.extra_select, *query.values_select, *query.annotation_select)
    converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
    if len(names) != compiler.col_count:
        return None
    return _PageTemplate(head, order_by, names, tuple(converters.items()))


def not_found(request, exception=None):
    """The 404 of a URL that matches no route: JSON under /api/ (the API's error contract), the
    site's page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError answered as 400 instead of 500, a rate limit
    (wenjiang_ops.ratelimit) as 429 with Retry-After, and a database that cannot be reached (down,
    restarting, the connection lost) as 503 with Retry-After: the client (a phone's outbox, a page)
    retries, and the worker's next request connects afresh (Django drops a connection that failed).
    tests/test_faults.py restarts PostgreSQL under load."""
    if isinstance(exc, RateLimited):
        return Response(
            {"detail": exc.message},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(exc.retry_after)},
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OperationalError | InterfaceError):
        log.warning("database unavailable, answered 503: %s", first_line(exc))
        response = Response({"detail": str(DATABASE_UNAVAILABLE)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    return drf_exception_handler(exc, context)


# --- the error contract in the schema -----------------------------------------------------------------

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": 'An error: `{"detail": ...}`, or for bad input one entry per field, each a list of messages.',
    "properties": {
        "detail": {
            "description": "what went wrong, in the user's language",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        }
    },
    "additionalProperties": True,
}
ERROR_TEXT = {
    "400": "Bad input: the body or a parameter is invalid (field errors, or `detail`).",
    "401": "Not signed in (no or a bad token).",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object in your area.",
    "409": "The event's state does not allow this action (`detail`, `state`, `action`).",
    "413": "The upload is too large.",
    "415": "Not an image of an accepted kind, or an unsupported content type.",
    "429": "Too many requests: wait the `Retry-After` seconds.",
    "503": "The database is unavailable for a moment: retry after `Retry-After` seconds.",
}


def _error_codes(path: str, method: str, operation: dict) -> set[str]:
    """The error answers an operation can give, by the rules every view follows (DESIGN.md "API v1")."""
    codes = {"401", "403"} if operation.get("security", [{}]) != [] else set()
    codes.add("503")  # any operation, while PostgreSQL restarts
    params = operation.get("parameters", [])
    if method in ("post", "put", "patch") or any(p.get("in") == "query" for p in params):
        codes.add("400")
    if "requestBody" in operation:
        codes.add("415")  # DRF refuses a body in a content type it does not parse
    if "{" in path or any(p.get("name") == "page" for p in params):
        codes.add("404")  # not in the user's area; or a page past the end
    if path.endswith("/actions/"):
        codes.add("409")
    if path.endswith("/attachments/"):
        codes.update({"413", "415"})
    return codes


def error_responses_hook(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation lists the error answers it can give,
    with one shared `Error` component, so that a client generated from the schema expects them."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            extra = {str(code) for code in operation.pop("x-error-codes", ())}
            for code in sorted(_error_codes(path, method, operation) | extra):
                existing = operation["responses"].get(code)
                if existing is None or not existing.get("content"):
                    operation["responses"][code] = {
                        "description": (existing or {}).get("description") or ERROR_TEXT[code],
                        "content": {"application/json": {"schema": reference}},
                    }
    return result


class ListedCenterMixin:
    """A list view whose `?center=` names a center of the user's area: the view reads it once, with its
    subtree (`Scope.listed_center`), builds the list from that subtree (`Scope.events_in` …), and leaves
    it on the request for the filter (`ListedCenterFilter`), which then neither reads it again nor adds
    a second subtree condition."""

    def listed_center(self, scope):
        value = self.request.query_params.get("center") if self.action == "list" else None
        center = scope.listed_center(value) if value else None
        self.request.listed_center = center
        return center


class _KnownCenterField(django_filters.fields.ModelChoiceField):
    known = None  # the center the view has read already

    def to_python(self, value):
        known = self.known
        if known is not None and value not in self.empty_values and str(value).strip() == str(known.pk):
            return known
        return super().to_python(value)


class ListedCenterFilter(django_filters.ModelChoiceFilter):
    """The `center` filter of a list (the center's whole subtree). When the view has read the center
    (`ListedCenterMixin`), the form takes that instance; any other value is checked against the
    filter's queryset as usual (outside the user's area: 400)."""

    field_class = _KnownCenterField

    @property
    def field(self):
        known = getattr(self.get_request(), "listed_center", None)
        if known is None:
            field = super().field
        else:
            # The view has read the center, within the user's area: the field takes it, and checks any
            # other value against no center at all (a 400), without building the area's queryset.
            self.extra["queryset"] = type(known).objects.none()
            field = django_filters.filters.Filter.field.fget(self)
        field.known = known
        return field

    @staticmethod
    def listed(request, value) -> bool:
        """Whether `value` is the center the view has limited the list to already."""
        known = getattr(request, "listed_center", None)
        return known is not None and known.pk == value.pk


# --- filters ------------------------------------------------------------------------------------------


def _named(name: str, keys) -> bool:
    """Whether a query names the filter `name`: its own parameter, or one of its widget's (`x_min`, `x_after` …)."""
    return any(key == name or key.startswith(name + "_") for key in keys)


class _Filters(dict):
    """A narrowed set's filters. FilterSet.__init__ deep-copies its filters on every request, their
    choices and lazy labels with them; what a filter changes on a request is its parent, model, form
    field and `extra` (a field's queryset), so a copy of each with its own `extra` and no field does."""

    def __deepcopy__(self, memo):
        return {name: _filter_copy(f) for name, f in self.items()}


def _filter_copy(f):
    copied = copy.copy(f)
    copied.extra = dict(f.extra)
    copied.__dict__.pop("_field", None)  # built afresh for its request, as a deep copy's would be
    if f.method is not None:
        copied.method = f.method  # its FilterMethod holds the filter it was made for: make the copy's own
    return copied


def _per_request(f) -> bool:
    """Whether a filter's form field is made from the request: a queryset given as a function of it
    (django-filter's QuerySetRequestMixin), or the listed center (`ListedCenterFilter`)."""
    return isinstance(f, ListedCenterFilter) or callable(getattr(f, "queryset", None))


class _NarrowedForm:
    """A narrowed set's form. django-filter makes a form class, and a form field for each filter, on
    every request; the fields that do not depend on the request are the same each time, so their class
    is made once (`_static_form`), and the form gets only the others' fields afresh."""

    _static_form = None

    def get_form_class(self):
        cls = type(self)
        if cls._static_form is None:
            fields = {n: _filter_copy(f).field for n, f in cls.base_filters.items() if not _per_request(f)}
            cls._static_form = type(f"{cls.__name__}Form", (self._meta.form,), fields)
        return cls._static_form

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form_class = self.get_form_class()
            data = (self.data,) if self.is_bound else ()
            self._form = form_class(*data, prefix=self.form_prefix)
            for name, f in self.filters.items():
                if _per_request(f):
                    self._form.fields[name] = f.field
        return self._form


@functools.lru_cache(maxsize=512)
def _narrowed(filterset_class, names: frozenset):
    """`filterset_class` with only the filters in `names`: built once per class and set of names."""
    narrowed = type(
        filterset_class.__name__, (_NarrowedForm, filterset_class), {"__module__": filterset_class.__module__}
    )
    narrowed.base_filters = _Filters((n, f) for n, f in filterset_class.base_filters.items() if n in names)
    return narrowed


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, validating only the filters a request names. A filter the query does not
    name filters nothing, yet django-filter copies every filter of the set and builds a form field for
    each on every request: for the events' 15 filters, a third of a list's time (bench-intake's list).
    The browsable API keeps the whole set, for its filter form; the schema reads the class, as before."""

    def get_filterset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        kwargs = self.get_filterset_kwargs(request, queryset, view)
        renderer = getattr(request, "accepted_renderer", None)
        if getattr(renderer, "format", None) != "api":
            keys = tuple(kwargs["data"].keys())
            names = frozenset(name for name in filterset_class.base_filters if _named(name, keys))
            filterset_class = _narrowed(filterset_class, names)
        return filterset_class(**kwargs)
