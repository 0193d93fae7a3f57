"""Pages as each role sees them: Chinese by default, English on request, scoped content."""

import pytest

pytestmark = pytest.mark.django_db


def test_pages_need_a_login(client):
    for url in ["/", "/map/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_the_login_page_is_in_chinese_by_default_and_english_on_request(client):
    assert "登录" in client.get("/accounts/login/").content.decode()
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in" in english and "登录" not in english


def test_switching_the_language(client, demo_user):
    client.force_login(demo_user("duty"))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Centers below" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "下级综治中心" in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("username", "shown", "not_shown"),
    [
        ("duty", ["柳城街道", "永宁街道", "寿安镇"], []),
        ("liucheng", ["航天路社区", "和平社区"], ["城武社区", "永宁街道"]),
        ("hangtianlu", ["航天路社区第1网格"], ["城武社区"]),
        ("gridworker", ["航天路社区第1网格"], ["城武社区"]),
        ("volunteer", ["柳城街道“红柳在线”协会", "510115********"], []),
        ("police", ["温江区公安分局"], []),
        ("mediator", ["航天路社区"], ["城武社区"]),
    ],
)
def test_each_role_home_shows_its_own_area(client, demo_user, username, shown, not_shown):
    user = demo_user(username)
    client.force_login(user)
    # A volunteer's home is their page in the force app (/force/me/): followed.
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True).content.decode()
    for text in shown:
        assert text in page, text
    for text in not_shown:
        assert text not in page, text


def test_the_map_page_loads_leaflet_from_static(client, demo_user):
    client.force_login(demo_user("duty"))
    page = client.get("/map/").content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "http://" not in page.split("<main")[1] and "https://" not in page.split("<main")[1]


def test_the_api_docs_and_schema(client, demo_user):
    # Signed-in users only: the schema answers 401, the docs page sends to the login page.
    assert client.get("/api/schema/", HTTP_ACCEPT="application/json").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs.url.startswith("/accounts/login/")
    client.force_login(demo_user("duty"))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.")
    for path in [
        "/api/auth/token/",
        "/api/me/",
        "/api/centers/",
        "/api/grids/",
        "/api/grids/locate/",
        "/api/departments/",
    ]:
        assert path in body["paths"], path
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"<script>" not in docs.content and b"<style>" not in docs.content
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_every_model_has_an_admin(client, demo_user):
    from django.apps import apps
    from django.contrib import admin

    registered = set(admin.site._registry)
    for app in ["accounts", "grids", "events"]:
        for model in apps.get_app_config(app).get_models():
            assert model in registered, model
    client.force_login(demo_user("admin"))
    for url in [
        "/admin/grids/grid/",
        "/admin/grids/center/",
        "/admin/grids/volunteer/",
        "/admin/accounts/user/",
        "/admin/grids/volunteer/add/",
        "/admin/events/event/",
        "/admin/events/phaselimit/",
        "/admin/events/eventcategory/",
        "/admin/events/eventaction/",
        "/admin/events/eventassignment/",
        "/admin/events/eventschedule/",
    ]:
        assert client.get(url).status_code == 200, url
