from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from exports import services
from exports.models import ExportJob

from .serializers import ExportJobSerializer, ExportRequestSerializer


class ExportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """My exports, newest first, with their progress (`rows_done` of `rows_total`); each is kept for a
    day after it is written. POST starts one in the background: `kind` (e.g. "events") and `query`,
    the list's filters as a query string."""

    serializer_class = ExportJobSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return ExportJob.objects.filter(user=self.request.user)

    @extend_schema(request=ExportRequestSerializer, responses={202: ExportJobSerializer})
    def create(self, request):
        payload = ExportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            data = payload.validated_data
            job = services.export_start(user=request.user, kind=data["kind"], params={"query": data["query"]})
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        return Response(ExportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
