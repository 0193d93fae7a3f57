"""The alarms API (v1): the signed webhook the sources post to, and the lists of sources, devices
and alarms for those who may see them (accounts.scope.ALARMS_BY_ROLE)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.client_ip import client_ip
from wenjiang_ops import ratelimit

from .. import selectors, services
from .filters import AlarmFilter, DeviceFilter
from .serializers import (
    AlarmSerializer,
    DeviceSerializer,
    SourceSerializer,
    WebhookAnswerSerializer,
    WebhookBodySerializer,
)

SIGNATURE_HEADERS = [
    OpenApiParameter(
        "X-Alarm-Timestamp", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, description="Unix seconds."
    ),
    OpenApiParameter(
        "X-Alarm-Signature",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        description="`sha256=` + hex HMAC-SHA256 of `<timestamp>.<raw body>`, keyed by the source's secret.",
    ),
]


class WebhookView(APIView):
    """POST one alarm from a registered source. Signed (HMAC-SHA256 over the timestamp and the body),
    idempotent by the source's alarm id, rate-limited per source. Only stores the alarm: clustering
    into events runs after the answer."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="alarms_webhook",
        request=WebhookBodySerializer,
        parameters=SIGNATURE_HEADERS,
        responses={
            201: WebhookAnswerSerializer,
            200: OpenApiResponse(WebhookAnswerSerializer, description="A repeat of an alarm id: the stored alarm."),
            401: OpenApiResponse(description="Unsigned, stale (> 5 min), badly signed or replayed."),
            403: OpenApiResponse(description="The source does not allow this address."),
            404: OpenApiResponse(description="No such active source."),
            429: OpenApiResponse(description="Too many alarms from this source: wait `Retry-After` seconds."),
        },
        auth=[],
    )
    def post(self, request, source: str):
        try:
            answer, created = services.alarm_receive(
                source_code=source,
                body=request.body,
                timestamp=request.META.get("HTTP_X_ALARM_TIMESTAMP"),
                signature=request.META.get("HTTP_X_ALARM_SIGNATURE"),
                remote_addr=client_ip(request),
            )
        except services.SourceNotFound as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
        except services.AddressRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        except services.SignatureRefused as exc:
            return Response(
                {"detail": str(exc)},
                status=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": 'HMAC-SHA256 realm="alarms"'},
            )
        except ratelimit.RateLimited as exc:
            return Response(
                {"detail": exc.message},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(exc.retry_after)},
            )
        except ValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            return Response(detail, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            WebhookAnswerSerializer(answer).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class SourceListView(generics.ListAPIView):
    """Alarm sources the user may see, with their alarm types (never their secrets)."""

    serializer_class = SourceSerializer
    filterset_fields = ["kind", "active"]

    def get_queryset(self):
        return selectors.source_list(self.request.user)


class DeviceListView(generics.ListAPIView):
    """Devices the user may see (placed in their area, or of their department's sources)."""

    serializer_class = DeviceSerializer
    filterset_class = DeviceFilter

    def get_queryset(self):
        return selectors.device_list(self.request.user)


class AlarmListView(generics.ListAPIView):
    """Alarms the user may see, newest first, with the event each joined."""

    serializer_class = AlarmSerializer
    filterset_class = AlarmFilter

    def get_queryset(self):
        return selectors.alarm_list(self.request.user)
