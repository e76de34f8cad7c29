"""Bot API request parameters, normalized the way the real server sees them.

Every parameter becomes a string (JSON bodies: numbers and booleans are stringified, nested
objects and arrays JSON-encoded), so form, query-string, JSON and multipart requests behave
identically.  Integers follow tdlib's lenient ``to_integer`` (``"12abc"`` is 12, junk is 0).
Uploaded files are kept apart in :attr:`Params.files`.

multipart/form-data is parsed here (no python-multipart dependency).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from .errors import bad_request


@dataclass(frozen=True)
class UploadedFile:
    field_name: str
    filename: str
    content_type: str
    content: bytes


@dataclass
class Params:
    values: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def has(self, name: str) -> bool:
        return name in self.values

    def get_int(
        self, name: str, default: int = 0, lo: int | None = None, hi: int | None = None
    ) -> int:
        raw = self.values.get(name, "")
        value = default if raw == "" else to_integer(raw)
        if lo is not None:
            value = max(lo, value)
        if hi is not None:
            value = min(hi, value)
        return value

    def get_bool(self, name: str) -> bool:
        return self.values.get(name, "").strip().lower() in ("true", "yes", "1")

    def file(self, name: str) -> UploadedFile | None:
        """The upload for a parameter: the part itself, or ``attach://<part>``."""
        direct = self.files.get(name)
        if direct is not None:
            return direct
        raw = self.values.get(name, "")
        if raw.startswith("attach://"):
            return self.files.get(raw[len("attach://") :])
        return None

    def refers_to_upload(self, name: str) -> bool:
        return self.values.get(name, "").startswith("attach://")


def to_integer(raw: str) -> int:
    """tdlib ``to_integer``: optional sign then leading digits; anything else yields 0."""
    match = re.match(r"\s*([+-]?)(\d+)", raw)
    if not match:
        return 0
    value = int(match.group(2))
    return -value if match.group(1) == "-" else value


def is_integer(raw: str) -> bool:
    return re.fullmatch(r"[+-]?\d+", raw.strip()) is not None


def _stringify(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def parse_params(content_type: str, body: bytes, query: str) -> Params:
    params = Params()
    for key, value in parse_qsl(query, keep_blank_values=True):
        params.values[key] = value
    mime = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return params
    if mime == "application/json":
        try:
            data = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request("can't parse JSON encoded request") from exc
        if isinstance(data, dict):
            for key, value in data.items():
                text = _stringify(value)
                if text is not None:
                    params.values[str(key)] = text
    elif mime == "multipart/form-data":
        _parse_multipart(content_type, body, params)
    else:
        try:
            decoded = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise bad_request("request body must be encoded in UTF-8") from exc
        for key, value in parse_qsl(decoded, keep_blank_values=True):
            params.values[key] = value
    return params


_DISPOSITION_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")


def _parse_multipart(content_type: str, body: bytes, params: Params) -> None:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise bad_request("multipart boundary is missing")
    delimiter = b"--" + match.group(1).encode("latin-1")
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n")
        header_blob, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        content = content.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in header_blob.decode("utf-8", "replace").split("\r\n"):
            header_name, _, header_value = line.partition(":")
            headers[header_name.strip().lower()] = header_value.strip()
        disposition = headers.get("content-disposition", "")
        attributes = {
            key.lower(): _unquote(value) for key, value in _DISPOSITION_PARAM.findall(disposition)
        }
        name = attributes.get("name")
        if name is None:
            continue
        filename = attributes.get("filename")
        if filename is None and "filename*" in attributes:
            encoded = attributes["filename*"]
            filename = unquote(encoded.split("''", 1)[-1])
        if filename is None:
            params.values[name] = content.decode("utf-8", "replace")
        else:
            params.files[name] = UploadedFile(
                field_name=name,
                filename=filename,
                content_type=headers.get("content-type", "application/octet-stream"),
                content=content,
            )
