"""Attachment checks for tickets (portal and technicians): size, count, and type by
extension AND content (magic bytes), so a renamed executable is refused. The stored
content type comes from our table, never from the browser."""

from __future__ import annotations

import os
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

# extension -> (content type, content check)
_ZIP = b"PK\x03\x04"
ALLOWED_TYPES: dict[str, tuple[str, object]] = {
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", "webp"),
    "pdf": ("application/pdf", b"%PDF-"),
    "txt": ("text/plain", "text"),
    "log": ("text/plain", "text"),
    "csv": ("text/csv", "text"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    "zip": ("application/zip", _ZIP),
}


def max_bytes() -> int:
    return getattr(settings, "TICKET_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)


def max_files() -> int:
    return getattr(settings, "TICKET_ATTACHMENT_MAX_FILES", 5)


def clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", os.path.basename((name or "").replace("\\", "/")))
    name = re.sub(r"[\x00-\x1f\x7f\"<>]", "", name).strip(" .")
    return name[-200:] or "attachment"


def _head(upload, size: int = 2048) -> bytes:
    upload.seek(0)
    head = upload.read(size)
    upload.seek(0)
    return head


def _content_ok(check, head: bytes) -> bool:
    if check == "text":
        if b"\x00" in head:
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:  # a multi-byte character cut at the end is fine
            return exc.start >= len(head) - 3
        return True
    if check == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    prefixes = check if isinstance(check, tuple) else (check,)
    return any(head.startswith(p) for p in prefixes)


def attachment_check(upload) -> tuple[str, str]:
    """(clean name, content type) for an acceptable upload, else ValidationError."""
    name = clean_name(upload.name)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED_TYPES:
        allowed = ", ".join(sorted({e.upper() for e in ALLOWED_TYPES}))
        raise ValidationError(f"{name}: this file type is not accepted (allowed: {allowed}).")
    if upload.size > max_bytes():
        raise ValidationError(f"{name} is {filesizeformat(upload.size)}; the limit is {filesizeformat(max_bytes())}.")
    if upload.size == 0:
        raise ValidationError(f"{name} is empty.")
    content_type, check = ALLOWED_TYPES[ext]
    if not _content_ok(check, _head(upload)):
        raise ValidationError(f"{name} does not look like a .{ext} file.")
    return name, content_type


def attachments_check(uploads) -> list[tuple[object, str, str]]:
    uploads = [u for u in uploads or () if u]
    if len(uploads) > max_files():
        raise ValidationError({"attachments": f"Attach at most {max_files()} files at a time."})
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append((upload, *attachment_check(upload)))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"attachments": errors})
    return checked
