"""Voice messages both ways, through a real python-telegram-bot Bot: a resident's voice note
reaches the bot and downloads; the bot sends voice by file_id or upload (sendVoice)."""

from __future__ import annotations

import struct
from datetime import timedelta

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest

from tgemu import EmulatorClient, EmulatorServer
from tgemu.oggopus import ogg_crc, ogg_opus_duration, silent_voice

from .conftest import TOKEN

USER = 1001


def _s(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)  # PTB_TIMEDELTA is on (tests/conftest.py)


def _wav(seconds: float) -> bytes:
    """A PCM WAV file: audio, but not a format Telegram plays as a voice note."""
    samples = b"\x00\x00" * int(8000 * seconds)
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(samples))
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(samples))
        + samples
    )


def test_silent_voice_is_ogg_opus_of_the_asked_length() -> None:
    assert ogg_crc(b"123456789") == 0x89A1897F  # Ogg's CRC-32 (poly 04C11DB7, init 0)
    data = silent_voice(2.5)
    assert data.startswith(b"OggS") and b"OpusHead" in data[:64] and b"OpusTags" in data
    assert ogg_opus_duration(data) == 2.5
    pages = data.split(b"OggS")[1:]
    assert pages[0][1] == 0x02 and pages[-1][1] == 0x04  # beginning and end of stream
    for page in pages:  # every page's checksum holds
        raw = bytearray(b"OggS" + page)
        stored = struct.unpack_from("<I", raw, 22)[0]
        struct.pack_into("<I", raw, 22, 0)
        assert ogg_crc(bytes(raw)) == stored
    assert ogg_opus_duration(data[:-1]) is None  # cut short
    assert ogg_opus_duration(_wav(1)) is None


async def test_resident_voice_reaches_the_bot_and_downloads(bot: Bot, emu: EmulatorClient) -> None:
    sent = await emu.send_voice(USER, duration=4, caption="楼道灯坏了")
    update = (await bot.get_updates())[0]
    message = update.message
    assert message is not None and message.message_id == sent.message_id
    voice = message.voice
    assert voice is not None and message.caption == "楼道灯坏了"
    assert (voice.duration, voice.mime_type) == (_s(4), "audio/ogg")
    file = await bot.get_file(voice.file_id)
    assert file.file_path is not None and file.file_path.endswith(".oga")
    data = bytes(await file.download_as_bytearray())
    assert len(data) == voice.file_size and ogg_opus_duration(data) == 4.0
    seen = (await emu.messages(USER))[-1]
    assert seen.kind == "voice" and seen.voice is not None
    assert seen.voice.file_id == voice.file_id and seen.voice.duration == 4


async def test_resident_voice_with_own_recording_keeps_its_length(
    bot: Bot, emu: EmulatorClient
) -> None:
    recording = silent_voice(6.0)
    await emu.send_voice(USER, recording)
    voice = (await bot.get_updates())[0].message.voice  # type: ignore[union-attr]
    assert voice is not None and voice.duration == _s(6)
    assert await emu.file_content(voice.file_id) == recording


async def test_bot_sends_voice_by_file_id_with_caption_and_buttons(
    bot: Bot, emu: EmulatorClient
) -> None:
    await emu.send_voice(USER, duration=2)
    heard = (await bot.get_updates())[0].message.voice  # type: ignore[union-attr]
    assert heard is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("收到", callback_data="ok")]])
    sent = await bot.send_voice(
        USER,
        heard.file_id,
        caption="<b>录音</b>已转交",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )
    assert sent.voice is not None and sent.voice.file_id == heard.file_id
    assert sent.voice.duration == _s(2) and sent.caption == "录音已转交"
    assert [(e.type, e.offset, e.length) for e in sent.caption_entities] == [("bold", 0, 2)]
    shown = await emu.last_bot_message(USER)
    assert shown is not None and shown.kind == "voice" and shown.button_texts == ["收到"]
    assert shown.voice is not None and shown.voice.file_id == heard.file_id


async def test_send_voice_refuses_unknown_and_mismatched_files(
    bot: Bot, emu: EmulatorClient
) -> None:
    await emu.start(USER)
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await bot.send_voice(USER, "AwNoSuchVoice")
    await emu.send_photo(USER)
    photo = (await bot.get_updates())[-1].message.photo[-1]  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match="Type of file mismatch"):
        await bot.send_voice(USER, photo.file_id)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_voice(USER, silent_voice(1), caption="长" * 1025)
    assert (await emu.bot_messages(USER)) == []


async def test_uploaded_voice_its_length_and_other_formats(bot: Bot, emu: EmulatorClient) -> None:
    await emu.start(USER)
    measured = await bot.send_voice(USER, silent_voice(3.0))
    assert measured.voice is not None
    assert (measured.voice.duration, measured.voice.mime_type) == (_s(3), "audio/ogg")
    told = await bot.send_voice(USER, silent_voice(3.0), duration=9)
    assert told.voice is not None and told.voice.duration == _s(9)
    file = await bot.get_file(measured.voice.file_id)
    assert ogg_opus_duration(bytes(await file.download_as_bytearray())) == 3.0
    # Not Ogg/Opus, MP3 or M4A: Telegram delivers it as a document, not a voice note.
    wav = await bot.send_voice(USER, _wav(0.5), filename="录音.wav")
    assert wav.voice is None and wav.document is not None
    assert wav.document.file_name == "录音.wav"
    shown = await emu.last_bot_message(USER)
    assert shown is not None and shown.kind == "document" and shown.voice is None


async def test_send_voice_without_a_voice(emu_server: EmulatorServer, emu: EmulatorClient) -> None:
    await emu.start(USER)
    async with httpx.AsyncClient(base_url=f"{emu_server.url}/bot{TOKEN}") as http:
        answer = (await http.post("/sendVoice", data={"chat_id": str(USER)})).json()
    assert answer == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: there is no voice in the request",
    }
