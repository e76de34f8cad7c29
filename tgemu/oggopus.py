"""Ogg/Opus voice notes without an encoder: silent files to send, and sniffing of uploads.

A voice message is an Ogg stream carrying Opus (RFC 7845): an ``OpusHead`` page, an
``OpusTags`` page, then audio pages whose granule position counts 48 kHz samples.
:func:`silent_voice` builds a real, playable one out of Opus's three-byte silence frame
(``f8 ff fe``: a CELT-only, fullband, 20 ms, mono frame that decodes to silence), so tests
and the demo need neither an encoder nor a recording.  :func:`ogg_opus_duration` reads the
length back from the last page, as a server does for a voice note sent without ``duration``.
"""

from __future__ import annotations

import struct

SAMPLE_RATE = 48_000
PRE_SKIP = 312  # what libopus's encoder reports; players drop these samples
_FRAME = b"\xf8\xff\xfe"
_FRAME_SAMPLES = 960  # 20 ms at 48 kHz
_FRAMES_PER_PAGE = 50  # one second of audio per page
_SERIAL = 0x59555348


def _crc_table() -> list[int]:
    # Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, zero initial value (unlike zlib's).
    table = []
    for index in range(256):
        value = index << 24
        for _ in range(8):
            value = ((value << 1) ^ 0x04C11DB7) if value & 0x80000000 else value << 1
        table.append(value & 0xFFFFFFFF)
    return table


_CRC = _crc_table()


def ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[((crc >> 24) & 0xFF) ^ byte]
    return crc


def _page(packets: list[bytes], *, granule: int, sequence: int, flags: int) -> bytes:
    lacing = bytearray()
    for packet in packets:
        lacing += b"\xff" * (len(packet) // 255) + bytes([len(packet) % 255])
    header = b"OggS" + struct.pack("<BBqIIIB", 0, flags, granule, _SERIAL, sequence, 0, len(lacing))
    page = bytearray(header + lacing + b"".join(packets))
    struct.pack_into("<I", page, 22, ogg_crc(bytes(page)))
    return bytes(page)


def silent_voice(seconds: float = 1.0) -> bytes:
    """A mono Ogg/Opus file of ``seconds`` of silence (rounded to 20 ms; ~200 bytes a second)."""
    frames = max(1, round(seconds * SAMPLE_RATE / _FRAME_SAMPLES))
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, PRE_SKIP, SAMPLE_RATE, 0, 0)
    vendor = b"tgemu"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 0)
    pages = [
        _page([head], granule=0, sequence=0, flags=0x02),  # beginning of stream
        _page([tags], granule=0, sequence=1, flags=0),
    ]
    done = 0
    while done < frames:
        count = min(_FRAMES_PER_PAGE, frames - done)
        done += count
        last = done == frames
        pages.append(
            _page(
                [_FRAME] * count,
                granule=PRE_SKIP + done * _FRAME_SAMPLES,
                sequence=len(pages),
                flags=0x04 if last else 0,  # end of stream
            )
        )
    return b"".join(pages)


def ogg_opus_duration(data: bytes) -> float | None:
    """Seconds of audio in an Ogg/Opus file, or None when ``data`` is not one."""
    offset = 0
    pre_skip: int | None = None
    granule = 0
    while offset + 27 <= len(data):
        if data[offset : offset + 4] != b"OggS":
            return None
        page_granule = struct.unpack_from("<q", data, offset + 6)[0]
        segments = data[offset + 26]
        table = data[offset + 27 : offset + 27 + segments]
        body = offset + 27 + segments
        if len(table) < segments or body + sum(table) > len(data):
            return None
        if pre_skip is None:
            if data[body : body + 8] != b"OpusHead" or sum(table) < 19:
                return None
            pre_skip = struct.unpack_from("<H", data, body + 10)[0]
        if page_granule >= 0:  # -1: no packet ends on this page
            granule = page_granule
        offset = body + sum(table)
    if pre_skip is None or offset != len(data):
        return None
    return max(0, granule - pre_skip) / SAMPLE_RATE
