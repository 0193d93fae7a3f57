from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework_gis.pagination import GeoJsonPagination

from accounts.scope import scope_for
from grids.selectors import BadCoordinates, GridNotFound, grid_at, point_from_lat_lng

from .filters import CenterFilter, GridFilter, PlaceFilter
from .serializers import (
    CenterGeoSerializer,
    CenterSerializer,
    DepartmentSerializer,
    GridSerializer,
    PlaceImportResultSerializer,
    PlaceImportSerializer,
    PlaceSerializer,
)


class GeoPagination(GeoJsonPagination):
    page_size = 200
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_paginated_response_schema(self, schema):
        # A page is the FeatureCollection itself (`schema`) with the paging fields beside `features`;
        # rest_framework_gis' own schema still requires the "results" it renamed.
        nullable_url = {"type": "string", "format": "uri", "nullable": True}
        paging = {
            "type": "object",
            "required": ["count"],
            "properties": {"count": {"type": "integer"}, "next": nullable_url, "previous": nullable_url},
        }
        return {"allOf": [schema, paging]}


class CenterViewSet(viewsets.ReadOnlyModelViewSet):
    """Centers in the user's scope (their center's subtree)."""

    serializer_class = CenterSerializer
    filterset_class = CenterFilter

    def get_queryset(self):
        return scope_for(self.request.user).centers().defer("boundary").order_by("path")

    @extend_schema(responses=CenterGeoSerializer(many=True))
    @action(detail=False, pagination_class=GeoPagination, serializer_class=CenterGeoSerializer)
    def geojson(self, request):
        """The same centers as a GeoJSON FeatureCollection with their boundaries."""
        queryset = self.filter_queryset(scope_for(request.user).centers().order_by("path"))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CenterGeoSerializer(page, many=True).data)


class GridViewSet(viewsets.ReadOnlyModelViewSet):
    """Grids in the user's scope, as GeoJSON. `?center=` narrows to a center's subtree."""

    serializer_class = GridSerializer
    filterset_class = GridFilter
    pagination_class = GeoPagination

    def get_queryset(self):
        return scope_for(self.request.user).grids().select_related("center").order_by("code")

    @extend_schema(
        parameters=[
            OpenApiParameter("lat", float, required=True, description="latitude, WGS 84"),
            OpenApiParameter("lng", float, required=True, description="longitude, WGS 84"),
        ],
        responses=GridSerializer,
        extensions={"x-error-codes": [404]},  # outside every grid of the user's area
    )
    @action(detail=False, filterset_class=None, pagination_class=None)
    def locate(self, request):
        """The grid (in the user's scope) that holds the point; 404 outside every grid."""
        missing = [name for name in ("lat", "lng") if not request.query_params.get(name)]
        if missing:
            raise ValidationError({name: [_("This parameter is required.")] for name in missing})
        try:
            point = point_from_lat_lng(request.query_params["lat"], request.query_params["lng"])
        except BadCoordinates as exc:
            raise ValidationError({"detail": str(exc)}) from None
        scope = scope_for(request.user)
        if not scope.everything and scope.center_path is None:
            raise NotFound(_("You have no area to search in."))
        try:
            grid = grid_at(point, within="" if scope.everything else scope.center_path)
        except GridNotFound as exc:
            raise NotFound(str(exc)) from None
        return Response(GridSerializer(self.get_queryset().get(pk=grid.pk)).data)


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments serving the user's area."""

    serializer_class = DepartmentSerializer
    filterset_fields = ["active"]

    def get_queryset(self):
        return scope_for(self.request.user).departments().order_by("code")


class PlaceViewSet(viewsets.ReadOnlyModelViewSet):
    """The grids' places (courtyards, buildings, entrances) in the user's area, as GeoJSON.
    `?grid=` one grid's, `?center=` a subtree's, `?kind=`. `POST import/` reads a file of places
    (center staff), all or nothing: every row's error is answered with its row number."""

    serializer_class = PlaceSerializer
    filterset_class = PlaceFilter
    pagination_class = GeoPagination

    def get_queryset(self):
        return scope_for(self.request.user).places().order_by("grid_id", "kind", "name", "id")

    @extend_schema(request=PlaceImportSerializer, responses={200: PlaceImportResultSerializer})
    @action(detail=False, methods=["post"], url_path="import", url_name="import", parser_classes=[MultiPartParser])
    def import_(self, request):
        from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
        from rest_framework.exceptions import PermissionDenied

        from grids.services import may_import_places, place_import

        if not may_import_places(request.user):
            raise PermissionDenied(_("Only center staff import places."))
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Choose a file to import.")]})
        try:
            result = place_import(file=upload, actor=request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        return Response(result)
