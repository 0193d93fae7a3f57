"""Pages while the database cannot be reached answer a 503 page with Retry-After, not Django's 500.

The database's failure is simulated here with a query wrapper (every statement, or only the session's
writes, raises OperationalError as psycopg2 does when PostgreSQL is gone); tests/test_faults.py stops a
real PostgreSQL under a real gunicorn."""

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db

MESSAGE = "系统暂时无法访问数据库"


class Unreachable:
    """A connection.execute_wrapper that fails the statements `when` picks, and counts every attempt."""

    def __init__(self, when=lambda sql: True):
        self.when = when
        self.attempts: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.attempts.append(sql)
        if self.when(sql):
            raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
        return execute(sql, params, many, context)


@pytest.mark.parametrize("url", ["/events/", "/dashboard/", "/", "/map/"])
def test_a_page_answers_503_in_chinese_with_retry_after_and_reads_nothing_more(client, demo_user, url):
    client.force_login(demo_user("duty"))
    down = Unreachable()
    with connection.execute_wrapper(down):
        response = client.get(url)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    body = response.content.decode()
    assert MESSAGE in body and "data-database-unavailable" in body
    assert f'href="{url}"' in body  # the way back, for a GET
    # The first statement (the session's load, when the view asks who the user is) failed, and the
    # page was rendered without trying the database again.
    assert len(down.attempts) == 1 and "django_session" in down.attempts[0]


def test_the_event_page_and_a_failed_form_post_answer_the_page_without_a_link_that_would_lose_the_form(
    client, demo_user
):
    from events.models import Event

    client.force_login(demo_user("duty"))
    event = Event.objects.first()
    with connection.execute_wrapper(Unreachable()):
        page = client.get(f"/events/{event.pk}/" if event else "/events/1/")
        post = client.post("/events/report/", {"description": "x"})
    assert page.status_code == 503 and MESSAGE in page.content.decode()
    assert post.status_code == 503 and MESSAGE in post.content.decode()
    assert 'class="button"' not in post.content.decode()


def test_a_failure_inside_a_middleware_the_session_save_is_a_503_page_too(client, demo_user, settings):
    """SessionMiddleware saves the session after the view: a database lost between the two fails there,
    outside the view (Django would answer 400: it wraps the error in SessionInterrupted)."""
    settings.SESSION_SAVE_EVERY_REQUEST = True
    client.raise_request_exception = False  # as a server answers: the response, not the exception
    client.force_login(demo_user("duty"))
    session_writes = Unreachable(lambda sql: "django_session" in sql and not sql.lstrip().startswith("SELECT"))
    with connection.execute_wrapper(session_writes):
        response = client.get("/map/")
    assert response.status_code == 503, response.status_code
    assert MESSAGE in response.content.decode() and int(response["Retry-After"]) > 0


def test_other_errors_are_still_500s(client, demo_user, monkeypatch):
    from wenjiang_ops import views

    client.raise_request_exception = False
    client.force_login(demo_user("duty"))

    def broken(*args, **kwargs):
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr(views, "render", broken)
    assert client.get("/").status_code == 500


def test_the_api_keeps_its_json_503(api):
    client = api.as_user("duty")
    with connection.execute_wrapper(Unreachable()):
        response = client.get("/api/events/")
    assert response.status_code == 503 and response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_a_database_error_raised_by_a_middleware_is_a_503_page(client, demo_user, settings):
    """An inner middleware's exception becomes Django's 500 at its own layer; the page is the 503 one."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_database_unavailable.ReadsTheUser"]
    client.raise_request_exception = False
    client.force_login(demo_user("duty"))
    with connection.execute_wrapper(Unreachable()):
        response = client.get("/map/")
    assert response.status_code == 503 and MESSAGE in response.content.decode()
    assert client.get("/map/").status_code == 200  # and the next request, with a database, is served


class ReadsTheUser:
    """A middleware that evaluates request.user before the view, as some third-party ones do."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user.is_authenticated  # noqa: B018 — the lazy user's session load
        return self.get_response(request)
