"""Builds the content of messages sent by simulated users (control API ``POST /_emu/messages``).

Exactly one content field must be given; its value is a string (text) or an object with
optional details, ``true`` meaning "all defaults":

==============  =======================================================================
``text``        string; entities auto-detected unless ``entities`` is given
``photo``       {width=1280, height=960, content_b64}; + top-level ``caption``
``document``    {file_name="document.pdf", mime_type, content_b64 | content_text}
``voice``       {duration, mime_type="audio/ogg", content_b64}: default a silent Ogg/Opus
                file of ``duration`` (3) s; with content, duration defaults to its length
``audio``       {duration=180, performer, title, file_name="audio.mp3", mime_type}
``video``       {duration=10, width=1280, height=720, file_name, mime_type}
``video_note``  {duration=5, length=240}
``animation``   {duration=3, width=320, height=240, file_name="animation.mp4"}
``sticker``     {emoji="👍", set_name, width=512, height=512, is_animated, is_video}
``location``    {latitude, longitude}  (required)
``venue``       {latitude, longitude, title, address}
``contact``     {phone_number, first_name, last_name, user_id}
``dice``        {emoji="🎲", value}
``poll``        {question, options: [str, ...], allows_multiple_answers}
==============  =======================================================================
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from .entities import utf16_len
from .errors import ControlError
from .files import FileStore, fake_jpeg, guess_mime, image_size, voice_seconds
from .formatting import CAPTION_LIMIT, TEXT_LIMIT, detect_entities
from .oggopus import silent_voice

JSONDict = dict[str, Any]

CONTENT_KINDS = (
    "text",
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "sticker",
    "location",
    "venue",
    "contact",
    "dice",
    "poll",
)
_DICE_MAX = {"🎲": 6, "🎯": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}


def _details(spec: JSONDict, kind: str) -> JSONDict:
    value = spec.get(kind)
    if value is True or value is None:
        return {}
    if not isinstance(value, dict):
        raise ControlError(f"{kind} must be an object or true")
    return value


def _content_bytes(details: JSONDict, default: bytes) -> bytes:
    if details.get("content_b64") is not None:
        try:
            return base64.b64decode(details["content_b64"], validate=True)
        except ValueError as exc:
            raise ControlError("content_b64 is not valid base64") from exc
    if details.get("content_text") is not None:
        return str(details["content_text"]).encode("utf-8")
    return default


def text_content(text: str, entities: Any = None) -> JSONDict:
    if not isinstance(text, str) or not text.strip():
        raise ControlError("text must be a non-empty string")
    if utf16_len(text) > TEXT_LIMIT:
        raise ControlError("text is longer than 4096 UTF-16 units; a real client would split it")
    content: JSONDict = {"text": text}
    found = entities if entities is not None else [e.to_json() for e in detect_entities(text)]
    if found:
        content["entities"] = found
    return content


def _caption(spec: JSONDict) -> JSONDict:
    return caption_content(spec.get("caption"))


def caption_content(caption: Any) -> JSONDict:
    if not caption:
        return {}
    if not isinstance(caption, str) or utf16_len(caption) > CAPTION_LIMIT:
        raise ControlError("caption must be a string of at most 1024 UTF-16 units")
    content: JSONDict = {"caption": caption}
    found = [e.to_json() for e in detect_entities(caption)]
    if found:
        content["caption_entities"] = found
    return content


def build_content(files: FileStore, spec: JSONDict) -> tuple[str, JSONDict, list[str]]:
    """Returns (kind, Telegram message fields, stored file_ids) for a user message."""
    kinds = [kind for kind in CONTENT_KINDS if spec.get(kind) not in (None, False)]
    if len(kinds) != 1:
        raise ControlError(f"give exactly one of {', '.join(CONTENT_KINDS)}; got {kinds}")
    kind = kinds[0]
    if kind == "text":
        return kind, text_content(spec["text"], spec.get("entities")), []
    details = _details(spec, kind)
    if kind == "photo":
        return _photo(files, details, spec)
    if kind in ("location", "venue"):
        try:
            location = {
                "latitude": float(details["latitude"]),
                "longitude": float(details["longitude"]),
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise ControlError(f"{kind} needs numeric latitude and longitude") from exc
        if kind == "location":
            return kind, {"location": location}, []
        venue = {
            "location": location,
            "title": str(details.get("title", "Venue")),
            "address": str(details.get("address", "Address")),
        }
        return kind, {"venue": venue, "location": location}, []
    if kind == "contact":
        contact = {
            "phone_number": str(details.get("phone_number", "+8613800000000")),
            "first_name": str(details.get("first_name", "Contact")),
        }
        for key in ("last_name", "user_id"):
            if details.get(key) is not None:
                contact[key] = details[key]
        return kind, {"contact": contact}, []
    if kind == "dice":
        emoji = str(details.get("emoji", "🎲"))
        value = details.get("value") or 1 + secrets.randbelow(_DICE_MAX.get(emoji, 6))
        return kind, {"dice": {"emoji": emoji, "value": int(value)}}, []
    if kind == "poll":
        return kind, {"poll": _poll(details)}, []
    return _media(files, kind, details, spec)


def _photo(files: FileStore, details: JSONDict, spec: JSONDict) -> tuple[str, JSONDict, list[str]]:
    width = int(details.get("width", 1280))
    height = int(details.get("height", 960))
    content = _content_bytes(details, b"") or None
    if content is not None:
        sniffed = image_size(content)
        if sniffed is not None:
            width, height = sniffed
    if content is None:
        content = fake_jpeg(width, height)
    sizes = files.add_photo(width, height, content)
    return "photo", {"photo": sizes, **_caption(spec)}, [s["file_id"] for s in sizes]


def _media(
    files: FileStore, kind: str, details: JSONDict, spec: JSONDict
) -> tuple[str, JSONDict, list[str]]:
    defaults: dict[str, tuple[str | None, str, bytes]] = {
        "document": ("document.pdf", "application/pdf", b"%PDF-1.4\n% emulator document\n"),
        "voice": (None, "audio/ogg", b""),  # made to measure below
        "audio": ("audio.mp3", "audio/mpeg", b"ID3" + secrets.token_bytes(4000)),
        "video": (
            "video.mp4",
            "video/mp4",
            b"\x00\x00\x00\x18ftypmp42" + secrets.token_bytes(8000),
        ),
        "video_note": (None, "video/mp4", b"\x00\x00\x00\x18ftypmp42" + secrets.token_bytes(4000)),
        "animation": ("animation.mp4", "video/mp4", b"\x00\x00\x00\x18ftypmp42" + b"\0" * 3000),
        "sticker": (None, "image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\0" * 200),
    }
    default_name, default_mime, default_bytes = defaults[kind]
    name = details.get("file_name", default_name)
    mime = guess_mime(name, details.get("mime_type") or default_mime)
    width = details.get("width")
    height = details.get("height")
    default_duration = {"voice": 3, "audio": 180, "video": 10, "video_note": 5}.get(kind, 3)
    raw_duration = details.get("duration")
    try:
        duration = default_duration if raw_duration is None else max(0, int(raw_duration))
    except (TypeError, ValueError) as exc:
        raise ControlError("duration must be a whole number of seconds") from exc
    data = _content_bytes(details, default_bytes)
    if kind == "voice":
        # A voice note plays: silence of the asked length, or the given file's own length.
        given = details.get("content_b64") is not None or details.get("content_text") is not None
        if not given:
            data = silent_voice(duration)
        elif raw_duration is None:
            duration = voice_seconds(data) or default_duration
    stored = files.add(
        kind,
        data,
        file_name=name,
        mime_type=mime,
        width=width,
        height=height,
        duration=None if kind in ("document", "sticker") else duration,
    )
    media: JSONDict = {}
    if kind == "sticker":
        media.update(
            type="regular",
            width=int(width or 512),
            height=int(height or 512),
            is_animated=bool(details.get("is_animated", False)),
            is_video=bool(details.get("is_video", False)),
            emoji=str(details.get("emoji", "👍")),
        )
        if details.get("set_name"):
            media["set_name"] = str(details["set_name"])
    else:
        if kind in ("video", "animation"):
            media["width"] = int(width or (1280 if kind == "video" else 320))
            media["height"] = int(height or (720 if kind == "video" else 240))
        if kind == "video_note":
            media["length"] = int(details.get("length", 240))
        if kind != "document":
            media["duration"] = duration
        if kind == "audio":
            for key in ("performer", "title"):
                if details.get(key):
                    media[key] = str(details[key])
        if name and kind not in ("voice", "video_note"):
            media["file_name"] = name
        if kind != "video_note":
            media["mime_type"] = mime
    media.update(stored.base_json())
    content: JSONDict = {kind: media}
    if kind == "animation":
        content["document"] = {
            k: v for k, v in media.items() if k not in ("width", "height", "duration")
        }
    if kind not in ("sticker", "video_note"):
        content.update(_caption(spec))
    return kind, content, [stored.file_id]


def _poll(details: JSONDict) -> JSONDict:
    question = details.get("question")
    options = details.get("options")
    if not isinstance(question, str) or not question:
        raise ControlError("poll needs a question")
    if not isinstance(options, list) or not 2 <= len(options) <= 10:
        raise ControlError("poll needs 2 to 10 options")
    return {
        "id": str(secrets.randbits(63)),
        "question": question,
        "options": [
            {"text": str(option), "voter_count": 0, "persistent_id": str(index)}
            for index, option in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": bool(details.get("is_anonymous", True)),
        "type": "regular",
        "allows_multiple_answers": bool(details.get("allows_multiple_answers", False)),
        "allows_revoting": bool(details.get("allows_revoting", False)),
        "members_only": False,
    }
