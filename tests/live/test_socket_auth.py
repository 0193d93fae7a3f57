"""Who opens a socket, and when it closes: one-time tickets instead of tokens in URLs, and sockets
closed when their user signs out, is deactivated or moved (on the real Redis channel layer)."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User
from grids.models import Center
from wenjiang_ops.live.consumers import CLOSE_SIGNED_OUT, CLOSE_UNAUTHENTICATED
from wenjiang_ops.live.publish import redis_client

from .conftest import Socket, WebsocketCommunicator, settle

pytestmark = [pytest.mark.usefixtures("live"), pytest.mark.django_db]


def user(username):
    return User.objects.select_related("center", "department").get(username=username)


async def through_the_stack(query: str, path: str = "/ws/dashboard/"):
    """Opens a socket through the whole ASGI application (origin check, session and ticket
    middleware); (first message, how it ended: None if still open, else the close code)."""
    from wenjiang_ops.asgi import application

    communicator = WebsocketCommunicator(application, f"{path}{query}", headers=[(b"origin", b"http://localhost")])
    connected, code = await communicator.connect()
    if not connected:
        return None, code
    first = json.loads(await communicator.receive_from())
    output = await communicator.receive_output(timeout=1) if first["type"] == "error" else None
    await communicator.disconnect()
    return first, (output or {}).get("code")


def test_the_ticket_endpoint_answers_signed_in_users_only(client):
    assert APIClient().post("/api/auth/socket-ticket/").status_code == 401
    client.force_login(User.objects.get(username="duty"))
    response = client.post("/api/auth/socket-ticket/")
    assert response.status_code == 201
    body = response.json()
    assert body["expires_in"] == 60 and len(body["ticket"]) >= 40
    # Kept under its digest only, for at most a minute.
    key = services._ticket_key(services.token_digest(body["ticket"]))
    assert 0 < redis_client().ttl(key) <= 60
    assert redis_client().get(key) == str(User.objects.get(username="duty").pk).encode()
    assert not redis_client().exists(services._ticket_key(body["ticket"]))


def test_a_token_client_gets_a_ticket_and_the_ticket_opens_one_socket_once(run_async):
    key = services.token_issue(user=User.objects.get(username="liucheng"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    ticket = api.post("/api/auth/socket-ticket/").json()["ticket"]

    async def scenario():
        first = await through_the_stack(f"?ticket={ticket}")
        again = await through_the_stack(f"?ticket={ticket}")
        return first, again

    (hello, open_code), (refused, code) = run_async(scenario)
    assert hello["type"] == "hello" and hello["data"]["stream"] == "center.2" and open_code is None
    assert refused["type"] == "error" and code == CLOSE_UNAUTHENTICATED


def test_the_long_lived_token_no_longer_opens_a_socket(run_async):
    key = services.token_issue(user=User.objects.get(username="duty"))
    first, code = run_async(through_the_stack, f"?token={key}")
    assert first["type"] == "error" and code == CLOSE_UNAUTHENTICATED


def test_an_unknown_ticket_or_one_of_a_deactivated_user_is_refused(run_async):
    duty = User.objects.get(username="duty")
    ticket = services.socket_ticket_issue(user=duty)
    User.objects.filter(pk=duty.pk).update(is_active=False)
    for query in [f"?ticket={ticket}", "?ticket=made-up", "?ticket="]:
        _first, code = run_async(through_the_stack, query)
        assert code == CLOSE_UNAUTHENTICATED, query


def test_two_sockets_racing_with_one_ticket_cannot_both_win(run_async):
    tickets = [services.socket_ticket_issue(user=User.objects.get(username="duty")) for _ in range(20)]

    async def scenario():
        results = []
        for ticket in tickets:
            results.append(await asyncio.gather(*(services.socket_ticket_redeem(ticket) for _ in range(5))))
        return results

    for attempts in run_async(scenario):
        assert sum(1 for a in attempts if a is not None) == 1


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """Runs sync code and then its after-commit callbacks (the socket closes), as a commit would."""

    def run(fn):
        with django_capture_on_commit_callbacks(execute=True):
            fn()

    return sync_to_async(run)


def _move(username):
    def run():
        u = User.objects.get(username=username)
        u.center = Center.objects.exclude(pk=u.center_id).filter(level=u.center.level).first()
        u.save()

    return run


def _deactivate(username):
    def run():
        u = User.objects.get(username=username)
        u.is_active = False
        u.save()

    return run


def _new_password(username):
    def run():
        u = User.objects.get(username=username)
        u.set_password("Another-passw0rd!")
        u.save()

    return run


def _sign_out(username):
    def run():
        from django.test import Client

        browser = Client()
        browser.force_login(User.objects.get(username=username))
        browser.post("/accounts/logout/")

    return run


def _api_sign_out(username):
    def run():
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {services.token_issue(user=User.objects.get(username=username))}")
        assert api.post("/api/auth/logout/", {}, format="json").status_code == 200

    return run


@pytest.mark.parametrize("change", [_move, _deactivate, _new_password, _sign_out, _api_sign_out])
@pytest.mark.parametrize("inbox", [False, True])
def test_a_socket_closes_when_its_user_is_signed_out_deactivated_or_moved(run_async, committing, change, inbox):
    async def scenario():
        duty = Socket(await sync_to_async(user)("duty"), inbox=inbox)
        leader = Socket(await sync_to_async(user)("leader"), inbox=inbox)
        await duty.open()
        await leader.open()
        await settle()
        await committing(change("duty"))
        told = await duty.next()
        closed = await duty.communicator.receive_output(timeout=2)
        others = await leader.nothing()
        await leader.close()
        return told, closed, others

    told, closed, others = run_async(scenario)
    assert told["type"] == "error" and told["data"]["reason"]
    assert closed == {"type": "websocket.close", "code": CLOSE_SIGNED_OUT}
    assert others, "another user's socket stays open"


def test_saving_a_user_without_a_change_that_matters_closes_nothing(run_async, committing):
    def rename():
        u = User.objects.get(username="duty")
        u.first_name = "新名"
        u.save()

    async def scenario():
        duty = Socket(await sync_to_async(user)("duty"))
        await duty.open()
        await settle()
        await committing(rename)
        quiet = await duty.nothing()
        await duty.close()
        return quiet

    assert run_async(scenario)
