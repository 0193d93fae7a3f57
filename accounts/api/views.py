from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User

from .serializers import MeSerializer, TokenRequestSerializer, TokenResponseSerializer


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

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer})
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
