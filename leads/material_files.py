"""Which files a training material may be, and how a visitor's browser receives one.

Uploads are offered for download on our own origin, so anything a browser would run
(HTML, SVG, JavaScript) is refused at upload, and every download goes out as an
attachment with a fixed Content-Type, ``nosniff`` and a sandboxing CSP. The allow-list
is documents and images a visitor can open anywhere; archives are left out on purpose:
their contents cannot be checked, and the materials page lists several files anyway.
"""

import codecs
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.http import FileResponse, Http404
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FileKind:
    label: str  # shown to visitors on the materials page, so translated
    content_type: str
    # How the file's first bytes begin; None for plain text, which is checked as UTF-8.
    signature: bytes | None


FILE_KINDS: dict[str, FileKind] = {
    "pdf": FileKind(_("PDF document"), "application/pdf", b"%PDF-"),
    "png": FileKind(_("PNG image"), "image/png", b"\x89PNG\r\n\x1a\n"),
    "jpg": FileKind(_("JPEG image"), "image/jpeg", b"\xff\xd8\xff"),
    "jpeg": FileKind(_("JPEG image"), "image/jpeg", b"\xff\xd8\xff"),
    "txt": FileKind(_("plain-text file"), "text/plain; charset=utf-8", None),
}
ALLOWED = "a PDF, PNG, JPEG or plain-text (.txt) file"
# Served for a file stored before the allow-list existed: a download, never a page.
UNKNOWN_CONTENT_TYPE = "application/octet-stream"


def extension(name: str) -> str:
    return PurePath(name).suffix.lower().removeprefix(".")


def file_kind(name: str) -> FileKind | None:
    return FILE_KINDS.get(extension(name))


def max_upload_bytes() -> int:
    return settings.MATERIAL_MAX_UPLOAD_MB * 1024 * 1024


def _chunks(upload: File):
    upload.seek(0)
    try:
        while chunk := upload.read(READ_CHUNK):
            yield chunk
    finally:
        upload.seek(0)


def check_material_file(upload: File) -> None:
    """Refuse, with a message a marketer can act on, a file visitors must not get from
    us: a type outside the allow-list, above the size cap, or whose contents are not
    what its name says (an SVG renamed .png, say)."""
    name = PurePath(upload.name or "").name
    kind = file_kind(name)
    if kind is None:
        raise ValidationError(
            f"“{name}” cannot be offered for download: upload {ALLOWED}. Web pages, SVG "
            "images and scripts are refused because a browser would run them on our site.",
            code="file_type",
        )
    limit = settings.MATERIAL_MAX_UPLOAD_MB
    if upload.size > max_upload_bytes():
        raise ValidationError(
            f"“{name}” is {upload.size / 1024 / 1024:.1f} MB; a material may be at most "
            f"{limit} MB. Make it smaller, or put it elsewhere and give its link instead.",
            code="file_size",
        )
    if kind.signature is not None:
        upload.seek(0)
        head = upload.read(len(kind.signature))
        upload.seek(0)
        if head != kind.signature:
            raise ValidationError(
                f"“{name}” is not a real {kind.label}: its contents do not match its name.",
                code="file_contents",
            )
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in _chunks(upload):
            if b"\0" in chunk:
                raise UnicodeDecodeError("utf-8", chunk, 0, 1, "NUL byte")
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ValidationError(
            f"“{name}” is not plain text (UTF-8): save it as a .txt file again, or as a PDF.",
            code="file_contents",
        ) from None


def material_download(*, title: str, file: File) -> FileResponse:
    """The stored file as a download: an attachment named after the title, with the
    allow-list's Content-Type (never one guessed from the file), nosniff, and a
    sandboxing CSP, so no browser runs it as a page of our site even if opened in place.
    A file missing from storage (a restore without the media folder) is a 404."""
    try:
        handle = file.open("rb")
    except OSError:
        raise Http404("This file is missing.") from None
    kind = file_kind(file.name)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{slugify(title) or 'material'}.{extension(file.name)}".removesuffix("."),
        content_type=kind.content_type if kind else UNKNOWN_CONTENT_TYPE,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
