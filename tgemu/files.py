"""In-memory file storage: file_id / file_unique_id generation, getFile paths, image and
audio sniffing.

Photos uploaded by a bot must really be images (PNG, JPEG, GIF, WebP or BMP headers are
sniffed for their size), otherwise the emulator answers ``IMAGE_PROCESS_FAILED`` like
Telegram.  Photos sent by simulated users get generated fake JPEG bytes (a valid header with
the right dimensions, not a decodable picture) unless the test supplies real bytes.  Voice
notes are sniffed too (:func:`voice_mime`): Telegram plays only Ogg/Opus, MP3 and M4A as
voice and delivers anything else as a document.
"""

from __future__ import annotations

import base64
import mimetypes
import secrets
import struct
from dataclasses import dataclass
from typing import Any

from .oggopus import ogg_opus_duration

JSONDict = dict[str, Any]

MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
_ID_PREFIX = {
    "photo": b"\x02\x00",
    "document": b"\x05\x00",
    "voice": b"\x03\x00",
    "video": b"\x04\x00",
    "video_note": b"\x0d\x00",
    "audio": b"\x06\x00",
    "animation": b"\x0a\x00",
    "sticker": b"\x08\x00",
}
_PATH_DIR = {
    "photo": ("photos", ".jpg"),
    "document": ("documents", ""),
    "voice": ("voice", ".oga"),
    "video": ("videos", ".mp4"),
    "video_note": ("video_notes", ".mp4"),
    "audio": ("music", ".mp3"),
    "animation": ("animations", ".mp4"),
    "sticker": ("stickers", ".webp"),
}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    file_path: str | None = None
    duration: int | None = None  # seconds, for voice and other audio/video

    @property
    def file_size(self) -> int:
        return len(self.content)

    def base_json(self) -> JSONDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }


class FileStore:
    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self.photo_sets: dict[str, list[JSONDict]] = {}
        self._path_counter = 0

    def add(
        self,
        kind: str,
        content: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
        duration: int | None = None,
    ) -> StoredFile:
        raw_id = _ID_PREFIX.get(kind, b"\x05\x00") + b"\x00\x00" + secrets.token_bytes(30)
        file_id = "Ag" + base64.urlsafe_b64encode(raw_id).decode().rstrip("=")
        unique = "AQAD" + base64.urlsafe_b64encode(secrets.token_bytes(9)).decode().rstrip("=")
        stored = StoredFile(
            file_id, unique, kind, content, file_name, mime_type, width, height, duration=duration
        )
        self.by_id[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self.by_id.get(file_id)

    def assign_path(self, stored: StoredFile) -> str:
        if stored.file_path is None:
            directory, extension = _PATH_DIR.get(stored.kind, ("documents", ""))
            if stored.kind == "document" and stored.file_name and "." in stored.file_name:
                extension = "." + stored.file_name.rsplit(".", 1)[1]
            stored.file_path = f"{directory}/file_{self._path_counter}{extension}"
            self._path_counter += 1
            self.by_path[stored.file_path] = stored
        return stored.file_path

    def add_photo(self, width: int, height: int, content: bytes | None) -> list[JSONDict]:
        """Stores a photo as Telegram does (several sizes); returns the PhotoSize list."""
        ladder = photo_size_ladder(width, height)
        sizes: list[JSONDict] = []
        for index, (w, h) in enumerate(ladder):
            is_largest = index == len(ladder) - 1
            data = content if is_largest and content is not None else fake_jpeg(w, h)
            stored = self.add("photo", data, mime_type="image/jpeg", width=w, height=h)
            sizes.append({**stored.base_json(), "width": w, "height": h})
        for size in sizes:
            self.photo_sets[size["file_id"]] = sizes
        return sizes

    def clear(self) -> None:
        self.by_id.clear()
        self.by_path.clear()
        self.photo_sets.clear()
        self._path_counter = 0


def guess_mime(file_name: str | None, declared: str | None) -> str:
    if declared and declared != "application/octet-stream":
        return declared
    if file_name:
        guessed = mimetypes.guess_type(file_name, strict=False)[0]
        if guessed:
            return guessed
    return declared or "application/octet-stream"


def voice_mime(data: bytes) -> str | None:
    """The MIME type Telegram gives a voice note (Ogg/Opus, MP3 or M4A), else None."""
    if ogg_opus_duration(data) is not None:
        return "audio/ogg"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if data[4:8] == b"ftyp" and data[8:12] in (b"M4A ", b"M4B "):
        return "audio/mp4"
    return None


def voice_seconds(data: bytes) -> int | None:
    """Whole seconds (rounded) of an Ogg/Opus voice note; None for other formats."""
    seconds = ogg_opus_duration(data)
    return None if seconds is None else int(seconds + 0.5)


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from PNG/JPEG/GIF/WebP/BMP headers, or None if not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            width = int.from_bytes(data[24:27], "little") + 1
            height = int.from_bytes(data[27:30], "little") + 1
            return width, height
        if chunk == b"VP8 " and len(data) >= 30:
            width, height = struct.unpack("<HH", data[26:30])
            return width & 0x3FFF, height & 0x3FFF
        if chunk == b"VP8L" and len(data) >= 25:
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        return None
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    return None


def fake_jpeg(width: int, height: int, size: int | None = None) -> bytes:
    """A JPEG-looking blob with correct SOF0 dimensions, padded to roughly ``size`` bytes."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", height, width)
    sof0 += b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    target = size if size is not None else max(200, min(width * height // 12, 400_000))
    filler_total = max(0, target - len(app0) - len(sof0) - 4)
    comments = b""
    while filler_total > 0:
        part = min(filler_total, 65000)
        comments += b"\xff\xfe" + struct.pack(">H", part + 2) + secrets.token_bytes(part)
        filler_total -= part + 4
    return b"\xff\xd8" + app0 + sof0 + comments + b"\xff\xd9"


def photo_size_ladder(width: int, height: int) -> list[tuple[int, int]]:
    """Telegram-like PhotoSize list: thumbnails of max side 90/320/800/1280 plus original."""
    longest = max(width, height, 1)
    sizes: list[tuple[int, int]] = []
    for side in (90, 320, 800, 1280):
        if side < longest:
            scale = side / longest
            sizes.append((max(1, round(width * scale)), max(1, round(height * scale))))
    if longest <= 2560:
        sizes.append((width, height))
    else:
        scale = 2560 / longest
        sizes.append((max(1, round(width * scale)), max(1, round(height * scale))))
    return sizes
