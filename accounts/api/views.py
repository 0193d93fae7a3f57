import math

from django.conf import settings
from django.contrib.auth import authenticate, logout
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lockout import lockout_response
from accounts.models import User
from accounts.services import (
    socket_ticket_issue,
    token_issue,
    token_revoke_all,
    token_sign_out,
)
from accounts.throttling import SignInRateThrottle

from .serializers import (
    DetailSerializer,
    LogoutRequestSerializer,
    LogoutResponseSerializer,
    MeSerializer,
    SocketTicketSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)


class MeView(APIView):
    """The signed-in user: role, center and department."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = User.objects.select_related("center", "department").get(pk=request.user.pk)
        return Response(MeSerializer(user).data)


def _detail(description: str):
    return OpenApiResponse(DetailSerializer, description=description)


class TokenView(APIView):
    """Exchanges a username and password for an API token (`Authorization: Token <key>`).

    The key is shown only in this answer (the platform keeps its SHA-256) and expires after
    `expires_in` seconds; sign out with POST /api/auth/logout/. Repeated failures lock the username
    out from the caller's address for a while, and each address may ask only so often (429 with
    Retry-After)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SignInRateThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(description="Missing fields, or a wrong username or password."),
            403: _detail("The account is disabled."),
            429: _detail("Too many attempts from this address, or the account is locked from it."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # django-axes watches the Django request: pass that one, not DRF's wrapper.
        django_request = request._request
        user = authenticate(django_request, **serializer.validated_data)
        if getattr(django_request, "axes_locked_out", False):
            return lockout_response(django_request)
        if user is None:
            return Response({"detail": _("Wrong username or password.")}, status=status.HTTP_400_BAD_REQUEST)
        if not user.is_active:
            return Response({"detail": _("This account is disabled.")}, status=status.HTTP_403_FORBIDDEN)
        key = token_issue(user=user, client=request.META.get("HTTP_USER_AGENT", ""))
        return Response({"token": key, "expires_in": settings.API_TOKEN_LIFETIME_HOURS * 3600})

    def throttled(self, request, wait):
        raise Throttled(
            wait,
            detail=_("Too many sign-in requests from this address: try again in %(seconds)d seconds.")
            % {"seconds": max(1, math.ceil(wait or 1))},
        )


class LogoutView(APIView):
    """Signs out: revokes the API token this request presents (`all: true` revokes every token of
    the user, e.g. after losing a phone), or ends the browser session. Either way the user's open
    sockets close."""

    @extend_schema(
        request=LogoutRequestSerializer,
        responses={
            200: LogoutResponseSerializer,
            400: OpenApiResponse(description="Field errors."),
            401: _detail("Not signed in, or the token is invalid or expired."),
        },
    )
    def post(self, request):
        serializer = LogoutRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, everywhere = request.user, serializer.validated_data["all"]
        if request.auth is None:  # a session: end it (Django's user_logged_out closes the sockets)
            logout(request._request)
            revoked = token_revoke_all(user_id=user.pk) if everywhere else 0
        else:  # the key of FastTokenAuthentication
            revoked = token_sign_out(user=user, key=request.auth, everywhere=everywhere)
        return Response({"revoked": revoked})


class SocketTicketView(APIView):
    """A one-time ticket for a WebSocket: open `/ws/dashboard/?ticket=<ticket>` (or `/ws/inbox/`)
    within `expires_in` seconds. For clients without the session cookie (wall displays, scripts):
    the long-lived token never goes into a URL, where proxies and logs could keep it."""

    @extend_schema(
        request=None,
        responses={
            201: SocketTicketSerializer,
            401: _detail("Not signed in, or the token is invalid or expired."),
        },
    )
    def post(self, request):
        ticket = socket_ticket_issue(user=request.user)
        return Response(
            {"ticket": ticket, "expires_in": settings.SOCKET_TICKET_SECONDS}, status=status.HTTP_201_CREATED
        )
