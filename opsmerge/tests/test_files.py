"""opsmerge.files: the stored-name layout, the response headers of every served file,
a local copy for remote storage, and that no URL serves MEDIA_ROOT."""

from __future__ import annotations

import os
import re

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, default_storage
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.test import override_settings
from django.urls import Resolver404, resolve

from opsmerge.files import MspUploadTo, download_name, file_response, local_path, safe_extension
from opsmerge.tenancy import tenant_model
from opsmerge.testing.images import SVG_WITH_SCRIPT, png_bytes

TOKEN = r"[A-Za-z0-9_-]{32}"


class Owned:
    """Stands in for an MSP-owned row: all upload_to reads is msp_id."""

    def __init__(self, msp_id):
        self.msp_id = msp_id


@pytest.mark.parametrize(("original", "ext"), [
    ("Quarterly Report.PDF", ".pdf"), ("photo.jpeg", ".jpeg"), ("notes.txt", ".txt"), ("contacts.xlsx", ".xlsx"),
    ("evil.html", ""), ("logo.svg", ""), ("run.exe", ""), ("no-extension", ""), ("../../etc/passwd", ""),
    ("archive.tar.gz", ""), ("C:\\Users\\me\\scan.png", ".png"),
])
def test_new_uploads_go_to_msp_kind_and_a_random_token(original, ext):
    name = MspUploadTo("client-document")(Owned(42), original)
    assert re.fullmatch(rf"msp/42/client-document/{TOKEN}{re.escape(ext)}", name), name
    assert safe_extension(original) == ext


def test_tokens_are_unique_and_never_contain_the_original_name():
    names = {MspUploadTo("ticket-attachment")(Owned(7), "Salaries 2026.xlsx") for _ in range(200)}
    assert len(names) == 200
    assert not any("Salaries" in n for n in names)


def test_the_tenant_itself_is_its_own_owner_and_must_be_saved():
    Msp = tenant_model()
    assert MspUploadTo("msp-logo")(Msp(pk=9, name="x", slug="x"), "a.png").startswith("msp/9/msp-logo/")
    with pytest.raises(ValueError, match="saved MSP"):
        MspUploadTo("msp-logo")(Msp(name="x", slug="x"), "a.png")
    with pytest.raises(ValueError):
        MspUploadTo("a/b")


def test_upload_to_deconstructs_for_migrations():
    path, args, _kwargs = MspUploadTo("client-logo").deconstruct()
    assert path == "opsmerge.files.MspUploadTo" and args == ("client-logo",)
    assert MspUploadTo("x") == MspUploadTo("x") != MspUploadTo("y")


def _stored(content: bytes, ext: str = "") -> FieldFile:
    field = tenant_model()._meta.get_field("logo")
    name = default_storage.save(f"msp/1/test/{re.sub('[^a-z]', '', ext)}file{ext}", ContentFile(content))
    return FieldFile(None, field, name)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_raster_image_is_inline_only_when_asked_and_with_its_sniffed_type():
    stored = _stored(png_bytes(), ".png")
    inline = file_response(stored, filename="logo.png", content_type="application/pdf", inline_image=True,
                           cache_seconds=60)
    assert inline["Content-Type"] == "image/png"
    assert inline["Content-Disposition"].startswith("inline")
    assert inline["X-Content-Type-Options"] == "nosniff"
    assert inline["Cache-Control"] == "private, max-age=60"
    assert _body(inline) == png_bytes()
    download = file_response(_stored(png_bytes(), ".png"), filename="logo.png", content_type="image/png")
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Cache-Control"] == "private, no-store"


def test_svg_is_never_inline_and_never_served_as_svg():
    response = file_response(_stored(SVG_WITH_SCRIPT, ".svg"), filename="logo.svg", content_type="image/svg+xml",
                             inline_image=True)
    assert response["Content-Disposition"] == 'attachment; filename="logo.svg"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize(("stored_type", "served"), [
    ("application/pdf", "application/pdf"), ("text/plain", "text/plain"), ("text/html", "application/octet-stream"),
    ("application/x-msdownload", "application/octet-stream"), ("", "application/octet-stream"),
])
def test_documents_are_downloads_with_a_safe_content_type(stored_type, served):
    response = file_response(_stored(b"%PDF-1.4 hello", ".pdf"), filename="Contract “Q1”.pdf",
                             content_type=stored_type, inline_image=True)
    assert response["Content-Type"] == served
    assert response["Content-Disposition"].startswith("attachment; filename")
    assert "filename*=utf-8''Contract%20%E2%80%9CQ1%E2%80%9D.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_missing_or_empty_file_is_404():
    field = tenant_model()._meta.get_field("logo")
    with pytest.raises(Http404):
        file_response(FieldFile(None, field, "msp/1/test/gone.png"), filename="x.png")
    with pytest.raises(Http404):
        file_response(FieldFile(None, field, ""), filename="x.png")


def test_download_name_keeps_the_users_name_and_adds_the_stored_extension():
    assert download_name("Runbook", "msp/1/client-document/abc.pdf") == "Runbook.pdf"
    assert download_name("runbook.txt", "msp/1/client-document/abc.pdf") == "runbook.txt"
    assert download_name("", "client-documents/2026/01/old.docx") == "download.docx"


def test_local_path_is_the_file_itself_on_disk_and_a_temporary_copy_for_remote_storage():
    on_disk = _stored(b"a,b\n1,2\n", ".csv")
    with local_path(on_disk) as path:
        assert path == default_storage.path(on_disk.name)
    remote = InMemoryStorage()  # like S3: no .path()
    name = remote.save("msp/1/import/x.csv", ContentFile(b"a,b\n1,2\n"))
    field = tenant_model()._meta.get_field("logo")
    fieldfile = FieldFile(None, field, name)
    fieldfile.storage = remote
    with local_path(fieldfile) as path, open(path, "rb") as fh:
        assert fh.read() == b"a,b\n1,2\n"
    assert not os.path.exists(path)


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_no_url_serves_media_root(client, settings, debug):
    stored = _stored(b"secret", ".txt")
    with override_settings(DEBUG=debug):
        with pytest.raises(Resolver404):
            resolve(f"{settings.MEDIA_URL}{stored.name}")
        response = client.get(f"{settings.MEDIA_URL}{stored.name}")
    assert response.status_code in (302, 404) and b"secret" not in response.content


def test_whitenoise_serves_static_only():
    assert not getattr(settings, "WHITENOISE_ROOT", None)
    assert str(settings.MEDIA_ROOT) not in [str(d) for d in settings.STATICFILES_DIRS]


def test_s3_storage_settings_are_private(monkeypatch):
    """FILE_STORAGE=s3 builds a private django-storages backend from the environment."""
    import importlib

    import opsmerge.settings as real

    for key, value in {"FILE_STORAGE": "s3", "FILE_STORAGE_BUCKET": "opsmerge-files",
                       "FILE_STORAGE_ENDPOINT_URL": "https://s3.example.test", "FILE_STORAGE_REGION": "eu-west-2",
                       "FILE_STORAGE_ACCESS_KEY": "AKIAEXAMPLE", "FILE_STORAGE_SECRET_KEY": "example-secret"}.items():
        monkeypatch.setenv(key, value)
    try:
        reloaded = importlib.reload(real)
        default = reloaded.STORAGES["default"]
        assert default["BACKEND"] == "storages.backends.s3.S3Storage"
        options = default["OPTIONS"]
        assert options["bucket_name"] == "opsmerge-files" and options["endpoint_url"] == "https://s3.example.test"
        assert options["region_name"] == "eu-west-2" and options["default_acl"] == "private"
        assert options["querystring_auth"] is True and options["file_overwrite"] is False
        from storages.backends.s3 import S3Storage

        storage = S3Storage(**options)
        assert storage.default_acl == "private" and storage.bucket_name == "opsmerge-files"
    finally:
        monkeypatch.delenv("FILE_STORAGE")
        importlib.reload(real)
