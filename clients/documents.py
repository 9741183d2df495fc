"""Client documents: upload (size-limited, type-checked by extension AND content),
delete. Files are served only through the MSP-scoped download view."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.permissions import Op, require
from opsmerge.audit import audit_record

from .models import Client, ClientDocument
from .services import client_assert_open

# extension -> (content type, magic prefixes; None = text that must decode as UTF-8)
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    "zip": ("application/zip", (b"PK\x03\x04",)),
    "txt": ("text/plain", None),
    "csv": ("text/csv", None),
    "md": ("text/markdown", None),
}


def _check_content(upload, ext: str) -> str:
    content_type, magics = ALLOWED_TYPES[ext]
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if magics is None:
        if b"\x00" in head:
            raise ValidationError({"file": f"This .{ext} file is not plain text."})
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # a multi-byte character cut at the 8 KB boundary is fine
                raise ValidationError({"file": f"This .{ext} file is not UTF-8 text."}) from None
    elif not any(head.startswith(m) for m in magics):
        raise ValidationError({"file": f"The file's content is not a .{ext} file."})
    return content_type


@transaction.atomic
def document_upload(*, msp, client: Client, upload, actor, name: str = "") -> ClientDocument:
    require(actor, Op.CLIENT_EDIT)
    if client.msp_id != msp.pk:
        raise ValidationError("Unknown client.")
    client_assert_open(client)
    if upload.size > settings.DOCUMENT_MAX_BYTES:
        limit = settings.DOCUMENT_MAX_BYTES / (1024 * 1024)
        raise ValidationError({"file": f"The file is larger than the {limit:.0f} MB limit."})
    if upload.size == 0:
        raise ValidationError({"file": "The file is empty."})
    filename = os.path.basename(upload.name or "")
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in ALLOWED_TYPES:
        allowed = ", ".join(sorted(ALLOWED_TYPES))
        raise ValidationError({"file": f"Files of type “.{ext or '?'}” are not accepted. Allowed: {allowed}."})
    content_type = _check_content(upload, ext)
    document = ClientDocument(msp=msp, client=client, name=(name.strip() or filename)[:255],
                              content_type=content_type, size=upload.size, uploaded_by=actor)
    document.file.save(filename, upload, save=False)
    document.save()
    audit_record(msp=msp, actor=actor, action="document.upload", obj=document, client=client,
                 changes={"name": document.name, "size": document.size, "content_type": content_type})
    return document


@transaction.atomic
def document_delete(*, msp, document: ClientDocument, actor) -> None:
    require(actor, Op.CLIENT_EDIT)
    if document.msp_id != msp.pk:
        raise ValidationError("Unknown document.")
    audit_record(msp=msp, actor=actor, action="document.delete", obj=document, client=document.client,
                 changes={"name": document.name})
    stored = document.file.name
    storage = document.file.storage
    document.delete()
    transaction.on_commit(lambda: storage.delete(stored))
