from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Notification, User

from .serializers import MeSerializer, NotificationSerializer, TokenRequestSerializer, TokenResponseSerializer


class MeView(APIView):
    """The signed-in user: role, center and department."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = User.objects.select_related("center", "department").get(pk=request.user.pk)
        return Response(MeSerializer(user).data)


class TokenView(APIView):
    """Exchanges a username and password for an API token (`Authorization: Token <key>`).

    Repeated failures lock the username out for a while (429 with a message)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer},
        extensions={"x-error-codes": [429]},  # locked out after repeated failures
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # django-axes watches the Django request: pass that one, not DRF's wrapper.
        django_request = request._request
        user = authenticate(django_request, **serializer.validated_data)
        if getattr(django_request, "axes_locked_out", False):
            return Response({"detail": _("Too many failed login attempts: try again later.")}, status=429)
        if user is None:
            return Response({"detail": _("Wrong username or password.")}, status=status.HTTP_400_BAD_REQUEST)
        if not user.is_active:
            return Response({"detail": _("This account is disabled.")}, status=status.HTTP_403_FORBIDDEN)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """My inbox, newest first (`?unread=1` for the unread ones); the unread count in `X-Unread-Count`
    and at /api/notifications/unread-count/."""

    serializer_class = NotificationSerializer
    lookup_value_regex = r"[0-9]+"  # a malformed id is no route (404), never a failed query (500)

    def get_queryset(self):
        queryset = Notification.objects.filter(user=self.request.user).order_by("-created_at", "-id")
        if self.request.query_params.get("unread") in ("1", "true"):
            queryset = queryset.filter(read_at__isnull=True)
        return queryset

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": Notification.objects.filter(user=request.user, read_at__isnull=True).count()})

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Marks one message read (404 for someone else's)."""
        notification = Notification.objects.filter(user=request.user, pk=pk).first()
        if notification is None:
            raise NotFound(_("No such message."))
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        n = Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
        return Response({"marked": n})
