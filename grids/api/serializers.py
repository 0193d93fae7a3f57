from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from grids.models import Center, Department, Grid


class CenterBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Center
        fields = ["id", "name", "level"]


class CenterSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Center
        fields = ["id", "code", "name", "level", "level_display", "parent", "depth"]


class CenterGeoSerializer(GeoFeatureModelSerializer):
    class Meta:
        model = Center
        geo_field = "boundary"
        fields = ["id", "code", "name", "level", "parent"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "short_name", "center", "active"]


class GridSerializer(GeoFeatureModelSerializer):
    center = CenterBriefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    subtype_display = serializers.CharField(source="get_subtype_display", read_only=True)

    class Meta:
        model = Grid
        geo_field = "boundary"
        fields = ["id", "code", "name", "kind", "kind_display", "subtype", "subtype_display", "center"]


class PlaceSerializer(GeoFeatureModelSerializer):
    """A place of a grid as a GeoJSON feature (its point; the outline apart, in `outline`)."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    outline = serializers.SerializerMethodField()

    class Meta:
        from grids.models import Place

        model = Place
        geo_field = "point"
        fields = ["id", "grid", "kind", "kind_display", "parent", "code", "name", "address", "active", "outline"]

    def get_outline(self, place) -> dict | None:
        import json

        return json.loads(place.outline.geojson) if place.outline else None


class PlaceImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="a .csv, .xlsx or .geojson file of places (grids.places lists the columns)")


class PlaceImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
