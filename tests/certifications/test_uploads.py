import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certifications.uploads import (
    DOCX,
    PDF,
    TEXT,
    ZIP,
    UploadRejected,
    check_upload,
    clean_filename,
)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("guide.pdf", b"%PDF-1.7\n...", PDF),
        ("notes.md", "# Notes — ünïcode\n".encode(), TEXT),
        ("bundle.zip", _zip({"a.txt": b"x"}), ZIP),
        ("guide.docx", _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}), DOCX),
        ("misnamed.txt", b"%PDF-1.4 real pdf", PDF),
    ],
)
def test_accepted_types_are_sniffed_from_content(name, data, kind):
    assert check_upload(SimpleUploadedFile(name, data)).content_type == kind


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.pdf", b"", "empty"),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "not accepted"),
        ("page.pdf", b"<!DOCTYPE html><script>alert(1)</script>", "not accepted"),
        ("img.pdf", b"\x89PNG\r\n\x1a\n\x00\x00", "not accepted"),
        ("poly.pdf", b"%PDF-1.4\n<html><script>x</script>", "HTML or script"),
        ("evil.zip", _zip({"../../etc/passwd": b"x"}), "unsafe path"),
        ("abs.zip", _zip({"/etc/passwd": b"x"}), "unsafe path"),
        ("bomb.zip", _zip({"big.txt": b"0" * (3 * 1024 * 1024)}), "suspiciously"),
        ("nested.zip", _zip({"a.zip": _zip({"b.zip": _zip({"c.txt": b"x"})})}), "nested"),
    ],
)
def test_dangerous_files_are_refused_with_a_reason(name, data, reason):
    with pytest.raises(UploadRejected, match=reason):
        check_upload(SimpleUploadedFile(name, data))


def test_size_limit_is_exact(settings):
    settings.UPLOAD_MAX_BYTES = 100
    assert check_upload(SimpleUploadedFile("a.txt", b"a" * 100)).size == 100
    with pytest.raises(UploadRejected, match="limit"):
        check_upload(SimpleUploadedFile("a.txt", b"a" * 101))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../x.pdf", "x.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("evil\u202egnp.pdf", "evilgnp.pdf"),
        ("report.exe", "report.pdf"),
        ("", "upload.pdf"),
    ],
)
def test_file_names_are_sanitised(raw, expected):
    assert clean_filename(raw, content_type=PDF) == expected


def test_very_long_names_are_shortened():
    assert len(clean_filename("a" * 500 + ".pdf", content_type=PDF)) <= 120
