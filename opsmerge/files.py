"""Uploaded files, kept per MSP (issue 12, decision 0220).

- `MspUploadTo(kind)`: the `upload_to` of every FileField / ImageField. A new upload
  is stored as `msp/<msp_id>/<kind>/<random token>[.<safe extension>]`: the stored
  name says whose it is and what it is, never what the uploader called it (that
  name stays in the database, on the model). Rows stored before keep their path.
- `file_response(...)`: the one way a view hands a stored file to a browser. Only
  views that have already checked the MSP (and, in the portal, the contact's rules)
  call it; nothing serves MEDIA_ROOT or the bucket directly.
- `local_path(fieldfile)`: a file on the local disk for code that needs a path
  (the import reader), whatever the storage backend.

The core imports no app: the tenant of an `instance` is its `msp_id`, or its own pk
when the instance is the tenant model itself (the MSP's logo).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404
from django.utils.deconstruct import deconstructible

# Extensions a stored name may keep (lower-cased). Anything else (.html, .svg, .exe,
# no extension …) is stored without one: the content type we serve comes from the
# database or from the bytes, never from the stored name.
SAFE_EXTENSIONS = frozenset({
    "png", "jpg", "jpeg", "gif", "webp", "pdf", "txt", "log", "csv", "md", "vcf",
    "docx", "xlsx", "pptx", "zip",
})

# Content types we ever send. Anything else goes out as application/octet-stream.
SAFE_CONTENT_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "text/csv",
    "text/markdown", "text/vcard", "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
})
# Raster images a browser may show inline. Never SVG: it can carry script.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

TOKEN_BYTES = 24  # 32 URL-safe characters: unguessable, and no two uploads collide


def safe_extension(filename: str) -> str:
    """".png" for "Logo.PNG" when the extension is a known safe one, else ""."""
    base = os.path.basename((filename or "").replace("\\", "/"))
    ext = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    return f".{ext}" if ext in SAFE_EXTENSIONS else ""


def owner_msp_id(instance) -> int:
    msp_id = getattr(instance, "msp_id", None)
    if msp_id is None and instance._meta.label == settings.OPSMERGE_TENANT_MODEL:
        msp_id = instance.pk
    if msp_id is None:
        raise ValueError(f"{instance._meta.label}: a file can only be stored for a saved MSP")
    return msp_id


@deconstructible
class MspUploadTo:
    """`upload_to=MspUploadTo("client-document")` → msp/<msp_id>/client-document/<token>.pdf"""

    def __init__(self, kind: str):
        if not kind or "/" in kind or kind.startswith("."):
            raise ValueError("kind is one path segment, e.g. 'client-logo'")
        self.kind = kind

    def __call__(self, instance, filename: str) -> str:
        return f"msp/{owner_msp_id(instance)}/{self.kind}/{secrets.token_urlsafe(TOKEN_BYTES)}{safe_extension(filename)}"

    def __eq__(self, other):
        return isinstance(other, MspUploadTo) and other.kind == self.kind

    def __hash__(self):
        return hash(("MspUploadTo", self.kind))


def sniff_image_type(head: bytes) -> str:
    """The content type of a raster image we show inline, from its first bytes; ""
    for anything else (SVG, HTML, BMP, a renamed file …)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return ""


def version_token(fieldfile) -> str:
    """A short token that changes when the stored file changes: appended to a
    cacheable URL (`?v=`) so a new logo is fetched at once."""
    return hashlib.sha256((fieldfile.name or "").encode()).hexdigest()[:12]


def _open(fieldfile):
    if not fieldfile:
        raise Http404("No file.")
    try:
        return fieldfile.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("The file is missing from storage.") from None


def file_response(fieldfile, *, filename: str, content_type: str = "", inline_image: bool = False,
                  cache_seconds: int = 0) -> FileResponse:
    """Stream a stored file to a browser that may see it.

    A download (`Content-Disposition: attachment`) unless `inline_image` is asked for
    AND the file's own bytes are a raster image (PNG, JPEG, GIF, WebP): then it is
    shown inline with the sniffed type. The content type is one of ours (else
    application/octet-stream); `nosniff` and a sandboxing CSP stop a browser from
    reading anything else into it. `cache_seconds` > 0 lets the browser (only: it
    is `private`) keep it; otherwise nothing is stored.
    """
    handle = _open(fieldfile)
    head = handle.read(16)
    handle.seek(0)
    image_type = sniff_image_type(head) if inline_image else ""
    if image_type:
        content_type, as_attachment = image_type, False
    else:
        content_type = content_type if content_type in SAFE_CONTENT_TYPES else "application/octet-stream"
        as_attachment = True
    response = FileResponse(handle, as_attachment=as_attachment, filename=filename or "download",
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = f"private, max-age={cache_seconds}" if cache_seconds > 0 else "private, no-store"
    return response


def download_name(name: str, stored_name: str) -> str:
    """The name a download gets: the one the user gave, plus the stored file's
    extension when that name has none ("Runbook" → "Runbook.pdf")."""
    name = (name or "").strip()
    if "." in name:
        return name
    ext = safe_extension(stored_name)
    return f"{name or 'download'}{ext}"


@contextmanager
def local_path(fieldfile) -> Iterator[str]:
    """A path on the local disk holding the stored file: the file itself on
    FileSystemStorage, else (S3 …) a temporary copy, removed afterwards."""
    if isinstance(fieldfile.storage, FileSystemStorage):
        yield fieldfile.storage.path(fieldfile.name)
        return
    suffix = safe_extension(fieldfile.name)
    with tempfile.NamedTemporaryFile(suffix=suffix, prefix="opsmerge-") as copy:
        with fieldfile.storage.open(fieldfile.name, "rb") as source:
            shutil.copyfileobj(source, copy, 1024 * 1024)
        copy.flush()
        yield copy.name
