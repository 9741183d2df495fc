"""/api/v1/import-jobs/: upload a CSV / Excel file, poll the job, fetch the error
report — over integrations.imports.services (the same jobs as the web importer)."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import Op
from clients.models import Client
from integrations.imports.columns import KIND_CHOICES
from integrations.imports.formats import FORMATS
from integrations.imports.models import ImportJob, ImportRowError
from integrations.imports.services import (
    failed_rows_csv,
    import_job_commit,
    import_job_create,
    import_job_set_mapping,
    import_job_start,
    mapping_errors,
)
from integrations.imports.undo import import_job_undo

from ..views import MspViewSet


class ImportJobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    counts = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    mapping_errors = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "kind", "client", "mode", "dry_run", "status", "original_name", "size", "file_format",
                  "source_format", "headers", "mapping", "mapping_errors", "confirmed_rows", "undone_at",
                  "total_rows", "processed_rows", "percent", "counts", "error_message",
                  "source_job", "created_at", "started_at", "finished_at"]
        read_only_fields = fields

    def get_mapping_errors(self, job) -> list[str]:
        if job.status != ImportJob.Status.MAPPING:
            return []
        # The MSP's custom fields are valid targets too (as import_job_start checks).
        return mapping_errors(kind=job.kind, mapping={int(i): k for i, k in job.mapping.items()},
                              msp=self.context["msp"], into_client=job.client_id is not None,
                              source_format=job.source_format)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (any common encoding/delimiter) or .xlsx, header row first.")
    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    client = serializers.IntegerField(
        required=False, help_text="Contacts only: import every row into this client (a Company / ClientName column "
                                  "is then the person's organisation name; contacts are matched by email within "
                                  "the client).")
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices, default=ImportJob.Mode.CREATE_UPDATE)
    dry_run = serializers.BooleanField(default=True, help_text="Check every row without writing anything.")
    start = serializers.BooleanField(
        default=True, help_text="Start at once when every mandatory column was recognised; otherwise the job "
                                "waits for a mapping (see mapping_errors).")


class ImportMappingSerializer(serializers.Serializer):
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True),
                                    help_text='{"<column index>": "<field key>"}; blank ignores a column.')
    source_format = serializers.ChoiceField(
        choices=[("", "generic"), *((f.key, f.label) for f in FORMATS.values())], required=False,
        help_text="The recognised export format whose rules apply (detected on upload); blank for none.")
    start = serializers.BooleanField(default=True)


class ImportCommitSerializer(serializers.Serializer):
    confirmed_rows = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list,
        help_text="Rows the dry run skipped as likely duplicates of existing clients, to import anyway.")


class ImportStartSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(required=False)
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices, required=False)


class ImportRowErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRowError
        fields = ["row_number", "outcome", "errors", "message"]
        read_only_fields = fields


class ImportJobViewSet(MspViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Import jobs run on a Celery worker: poll `status` / `percent`; a finished dry run
    can be committed; rows that failed are listed and downloadable as CSV."""

    queryset = ImportJob._base_manager.none()  # for the schema generator only
    serializer_class = ImportJobSerializer
    read_op = Op.IMPORT
    write_op = Op.IMPORT
    ordering_fields = ["created_at", "finished_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return ImportJob.objects.filter(msp=self.msp)

    def _job(self, job, code=status.HTTP_200_OK) -> Response:
        return Response(ImportJobSerializer(job, context=self.get_serializer_context()).data, status=code)

    def _maybe_start(self, job, start: bool):
        if start and not ImportJobSerializer(context=self.get_serializer_context()).get_mapping_errors(job) \
                and job.status == ImportJob.Status.MAPPING:
            job = import_job_start(msp=self.msp, job=job, actor=self.actor_user)
        return job

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses={201: ImportJobSerializer},
                   summary="Upload a file and (by default) start the import")
    def create(self, request):
        data = self.validated(ImportUploadSerializer)
        client = None
        if data.get("client") is not None:
            client = Client.objects.filter(msp=self.msp, pk=data["client"]).first()
            if client is None:
                raise serializers.ValidationError({"client": ["No such client."]})
        job = import_job_create(msp=self.msp, actor=self.actor_user, upload=data["file"], kind=data["kind"],
                                mode=data["mode"], dry_run=data["dry_run"], client=client)
        return self._job(self._maybe_start(job, data["start"]), status.HTTP_201_CREATED)

    @extend_schema(request=ImportMappingSerializer, responses=ImportJobSerializer,
                   summary="Set the column mapping of a job waiting for it")
    @action(detail=True, methods=["post"])
    def mapping(self, request, pk=None):
        job = self.get_object()
        body = self.validated(ImportMappingSerializer)
        raw = body["mapping"]
        if not all(str(k).isdigit() for k in raw):
            raise serializers.ValidationError({"mapping": ["Keys are column indexes (0, 1, 2 …)."]})
        job = import_job_set_mapping(msp=self.msp, job=job, actor=self.actor_user,
                                     mapping={int(k): v for k, v in raw.items() if int(k) < 10_000},
                                     source_format=body.get("source_format"))
        return self._job(self._maybe_start(job, body["start"]))

    @extend_schema(request=ImportStartSerializer, responses=ImportJobSerializer, summary="Start a mapped job")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        job = self.get_object()
        body = self.validated(ImportStartSerializer)
        return self._job(import_job_start(msp=self.msp, job=job, actor=self.actor_user, **body))

    @extend_schema(request=ImportCommitSerializer, responses={201: ImportJobSerializer},
                   summary="Commit a finished dry run (a new job over the same file and mapping)")
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        job = self.get_object()
        body = self.validated(ImportCommitSerializer)
        commit = import_job_commit(msp=self.msp, job=job, actor=self.actor_user,
                                   confirmed_rows=body["confirmed_rows"])
        return self._job(commit, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ImportJobSerializer,
                   summary="Undo a committed job: remove what it created, restore what it updated (refused, "
                           "changing nothing, if any of those rows changed since)")
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        return self._job(import_job_undo(msp=self.msp, job=self.get_object(), actor=self.actor_user))

    @extend_schema(responses=ImportRowErrorSerializer(many=True), filters=False,
                   summary="Rows that were not applied, with the column and message of each problem")
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        job = self.get_object()
        return self.paginated(ImportRowError.objects.filter(msp=self.msp, job=job).order_by("row_number"),
                              ImportRowErrorSerializer)

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)}, filters=False,
                   summary="Error report: the failed rows as uploaded, plus an error column (CSV)")
    @action(detail=True, methods=["get"], url_path="error-report")
    def error_report(self, request, pk=None):
        job = self.get_object()
        response = StreamingHttpResponse(failed_rows_csv(msp=self.msp, job=job), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response
