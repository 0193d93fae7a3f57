from django.urls import reverse
from rest_framework import serializers

from exports.models import ExportJob


class ExportJobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True, allow_null=True)
    page_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "kind",
            "title",
            "state",
            "rows_total",
            "rows_done",
            "percent",
            "created_at",
            "finished_at",
            "expires_at",
            "page_url",
            "download_url",
        ]

    def get_page_url(self, job) -> str:
        return reverse("exports:job", args=[job.pk])

    def get_download_url(self, job) -> str | None:
        return reverse("exports:download", args=[job.pk]) if job.state == "done" else None


class ExportRequestSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=40)
    query = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
