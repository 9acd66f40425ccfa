"""Upload checks shared by every form that takes a file (documents, ticket attachments).

The type is decided from the content, never from the name or the declared content type:
PDF, DOCX, ZIP and UTF-8 text/Markdown are accepted, and PNG and JPEG screenshots where the
caller allows images (ticket attachments). Archives are inspected before use
(member count, total uncompressed size, nesting, path traversal). The stored name is a UUID
chosen by the model; the partner's file name is kept only as sanitised metadata."""

from __future__ import annotations

import hashlib
import io
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from certportal.errors import ProgramError

MAX_ZIP_MEMBERS = 2000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_NAME = 120

PDF, DOCX, ZIP, TEXT = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/zip",
    "text/plain",
)
ALLOWED_DESCRIPTION = "PDF, Word (.docx), ZIP, or a text/Markdown file"
# Ticket attachments also take screenshots (issue 14), with the same checks.
PNG, JPEG = "image/png", "image/jpeg"
IMAGE_TYPES = (PNG, JPEG)
ALLOWED_WITH_IMAGES = "PDF, Word (.docx), ZIP, text/Markdown, or a PNG or JPEG screenshot"
# Markup inside an image is a polyglot (an image that is also a web page): refused, although
# downloads are attachments with nosniff anyway.
_MARKUP = re.compile(rb"<(?:script|html|svg|iframe|body|\?xml)", re.IGNORECASE)


class UploadRejected(ProgramError):
    """The file was refused; the message says why."""


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    name: str
    size: int
    sha256: str


def clean_filename(name: str, *, content_type: str) -> str:
    """A display name without paths, control or bidi characters, of bounded length."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '<>:"|?*')
    name = name.strip(" .") or "upload"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    expected = {
        PDF: "pdf",
        DOCX: "docx",
        ZIP: "zip",
        TEXT: ext if ext.lower() in ("md", "txt", "markdown") else "txt",
        PNG: "png",
        JPEG: "jpeg" if ext.lower() == "jpeg" else "jpg",
    }[content_type]
    stem = stem[: MAX_NAME - len(expected) - 1] or "upload"
    return f"{stem}.{expected}"


def _looks_like_html(head: bytes) -> bool:
    sample = head[:1024].lstrip().lower()
    return sample.startswith((b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml"))


def _check_zip(data: io.BytesIO, *, depth: int = 0) -> str:
    """Validate an archive without extracting it. Returns ZIP or DOCX."""
    try:
        archive = zipfile.ZipFile(data)
    except zipfile.BadZipFile as exc:
        raise UploadRejected("The archive is damaged and cannot be opened.") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise UploadRejected(f"The archive has more than {MAX_ZIP_MEMBERS} files.")
        total = 0
        names = set()
        for info in infos:
            name = info.filename
            names.add(name)
            if name.startswith(("/", "\\")) or ".." in re.split(r"[\\/]", name) or ":" in name:
                raise UploadRejected(f"The archive contains an unsafe path ({name[:60]!r}).")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise UploadRejected(f"The archive contains a symbolic link ({name[:60]!r}).")
            total += info.file_size
            if total > MAX_ZIP_UNCOMPRESSED:
                raise UploadRejected("The archive expands to more than 200 MB.")
            if (
                info.compress_size
                and info.file_size / info.compress_size > MAX_ZIP_RATIO
                and info.file_size > 1024 * 1024
            ):
                raise UploadRejected("The archive is compressed suspiciously well (a zip bomb?).")
            if name.lower().endswith(".zip"):
                if depth >= 1:
                    raise UploadRejected(
                        "Archives nested more than two levels deep are not accepted."
                    )
                with archive.open(info) as inner:
                    _check_zip(io.BytesIO(inner.read(MAX_ZIP_UNCOMPRESSED + 1)), depth=depth + 1)
        if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
            return DOCX
    return ZIP


def _sniff(head: bytes, content: bytes | None) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return ZIP  # refined by _check_zip
    if b"\x00" in head or _looks_like_html(head):
        return None
    try:
        (content if content is not None else head).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return TEXT


def _sniff_image(data: bytes) -> str | None:
    """PNG or JPEG when the content is one (signature and end marker), else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and b"IEND" in data[-12:]:
        return PNG
    if data.startswith(b"\xff\xd8\xff") and data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return JPEG
    return None


def check_upload(
    upload: UploadedFile, *, max_bytes: int | None = None, images: bool = False
) -> CheckedUpload:
    """Raise UploadRejected with a reason, or return what the file really is. With
    `images`, a PNG or JPEG screenshot is accepted too (ticket attachments)."""
    limit = max_bytes if max_bytes is not None else settings.UPLOAD_MAX_BYTES
    size = upload.size or 0
    if size == 0:
        raise UploadRejected("The file is empty.")
    if size > limit:
        raise UploadRejected(
            f"The file is {size / 1048576:.1f} MB; the limit is {limit / 1048576:.0f} MB."
        )
    upload.seek(0)
    digest = hashlib.sha256()
    chunks = []
    for chunk in upload.chunks():
        digest.update(chunk)
        chunks.append(chunk)
    data = b"".join(chunks)
    upload.seek(0)
    head = data[:4096]
    image = _sniff_image(data) if images else None
    if image is not None:
        if _MARKUP.search(data):
            raise UploadRejected("This image is not accepted: it contains HTML or script content.")
        return CheckedUpload(
            content_type=image,
            name=clean_filename(upload.name or "", content_type=image),
            size=size,
            sha256=digest.hexdigest(),
        )
    kind = _sniff(head, data if not head.startswith((b"%PDF-", b"PK")) else None)
    if kind is None:
        allowed = ALLOWED_WITH_IMAGES if images else ALLOWED_DESCRIPTION
        raise UploadRejected(
            f"This file type is not accepted. Upload a {allowed}; the type is "
            "checked from the content, not the name."
        )
    if kind == PDF and (b"<script" in data[:65536].lower() or b"<html" in data[:65536].lower()):
        raise UploadRejected("The PDF contains HTML or script content and was refused.")
    if kind == ZIP:
        kind = _check_zip(io.BytesIO(data))
    return CheckedUpload(
        content_type=kind,
        name=clean_filename(upload.name or "", content_type=kind),
        size=size,
        sha256=digest.hexdigest(),
    )
