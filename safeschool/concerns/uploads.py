"""Checks on files attached to concerns.

UKCIS guidance (Sharing nudes and semi-nudes, 2024): staff must never view, copy, share or store
such imagery. A concern of that type therefore refuses every image or video, recognised by its
content, its name or its declared type, whichever says so.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile

from safeschool.concerns.models import ConcernType

MAX_BYTES = 10 * 1024 * 1024

NUDES_REFUSAL = (
    "Images and videos cannot be attached to a concern about sharing nudes or semi-nudes. "
    "Staff must never view, copy, share or store such imagery (UKCIS guidance). Describe what "
    "you were told instead, and speak to the DSL straight away."
)

_IMAGE_EXTENSIONS = {
    "jpg",
    "jpeg",
    "jfif",
    "png",
    "gif",
    "webp",
    "heic",
    "heif",
    "bmp",
    "tif",
    "tiff",
    "avif",
    "svg",
    "ico",
    "raw",
    "dng",
    "mp4",
    "mov",
    "m4v",
    "avi",
    "mkv",
    "webm",
    "3gp",
    "wmv",
}


def _looks_like_image_or_video(head: bytes) -> bool:
    signatures = (
        b"\xff\xd8\xff",
        b"\x89PNG",
        b"GIF87a",
        b"GIF89a",
        b"BM",
        b"II*\x00",
        b"MM\x00*",
        b"\x00\x00\x01\x00",
        b"\x1a\x45\xdf\xa3",
    )
    if head.startswith(signatures):
        return True
    if head[:4] == b"RIFF" and head[8:12] in {b"WEBP", b"AVI "}:
        return True
    # ISO media (MP4, MOV, HEIC, AVIF): "ftyp" at offset 4.
    return head[4:8] == b"ftyp" or b"<svg" in head[:512].lower()


def is_image_or_video(upload: UploadedFile) -> bool:
    name = (upload.name or "").lower()
    declared = (upload.content_type or "").lower()
    if declared.startswith(("image/", "video/")):
        return True
    if "." in name and name.rsplit(".", 1)[1] in _IMAGE_EXTENSIONS:
        return True
    upload.seek(0)
    head = upload.read(512)
    upload.seek(0)
    return _looks_like_image_or_video(head)


def check_upload(upload: UploadedFile, concern_type: str) -> str | None:
    """The reason the file cannot be attached, or None when it can."""
    if concern_type == ConcernType.NUDES and is_image_or_video(upload):
        return NUDES_REFUSAL
    if (upload.size or 0) > MAX_BYTES:
        return f"{upload.name} is larger than 10 MB."
    if not upload.size:
        return f"{upload.name} is empty."
    return None
