"""Bot API methods that create, edit or delete messages.

Validation order follows the real server: content (text / caption / file presence), reply
parameters, reply_markup, chat access, replied message, then flood limits.

Not emulated: sending files by HTTP URL (answered with ``failed to get HTTP URL content``),
replies to messages in other chats, inline messages (``inline_message_id`` edits fail with
``MESSAGE_ID_INVALID``), the 48-hour limits on editing and deleting.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from typing import Any

from .access import ADMIN_STATUSES, chat_for_bot
from .errors import MESSAGE_NOT_MODIFIED, ApiError, bad_request, too_many_requests
from .files import StoredFile, guess_mime, image_size, voice_mime, voice_seconds
from .formatting import CAPTION_LIMIT, TEXT_LIMIT, check_length, format_text
from .markup import parse_reply_markup
from .methods_common import CallContext, Handler
from .models import Conversation, MessageRecord
from .params import UploadedFile

JSONDict = dict[str, Any]
Source = UploadedFile | StoredFile
MAX_UPLOAD = 50 * 1024 * 1024


def _format(ctx: CallContext, text: str, entities_param: str) -> tuple[str, list[JSONDict]]:
    state = ctx.state
    plain, entities = format_text(
        text,
        ctx.params.get("parse_mode"),
        ctx.params.get(entities_param),
        strict_ampersand=state.config.strict_html_ampersand,
        user_lookup=state.user_json,
    )
    return plain, [entity.to_json() for entity in entities]


def _caption(ctx: CallContext) -> JSONDict:
    text, entities = _format(ctx, ctx.params.get("caption"), "caption_entities")
    check_length(text, CAPTION_LIMIT, caption=True)
    content: JSONDict = {}
    if text:
        content["caption"] = text
        if entities:
            content["caption_entities"] = entities
    if ctx.params.get_bool("show_caption_above_media"):
        content["show_caption_above_media"] = True
    return content


def _reply_spec(ctx: CallContext) -> tuple[int, bool]:
    params = ctx.params
    if not params.has("reply_parameters"):
        return max(params.get_int("reply_to_message_id"), 0), params.get_bool(
            "allow_sending_without_reply"
        )
    raw = params.get("reply_parameters")
    if not raw:
        return 0, False
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise bad_request("can't parse reply parameters JSON object") from exc
    if not isinstance(value, dict):
        raise bad_request("object expected as reply parameters")
    if not value:
        return 0, False
    message_id = value.get("message_id")
    if message_id is None:
        raise bad_request('can\'t find field "message_id"')
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        raise bad_request('field "message_id" must be of type Number')
    chat_id = value.get("chat_id")
    if chat_id is not None and str(chat_id) != params.get("chat_id"):
        raise bad_request("the emulator supports replies only within the same chat")
    return max(message_id, 0), value.get("allow_sending_without_reply") is True


def _input_source(ctx: CallContext, field: str, missing: str) -> Source | str:
    upload = ctx.params.file(field)
    if upload is not None:
        return upload
    value = ctx.params.get(field).strip()
    if not value or ctx.params.refers_to_upload(field):
        raise bad_request(missing)
    return value


def _resolve_source(ctx: CallContext, source: Source | str, kind: str) -> Source:
    if not isinstance(source, str):
        if isinstance(source, UploadedFile):
            if not source.content:
                raise bad_request("file must be non-empty")
            if len(source.content) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
        return source
    if re.match(r"^https?://", source, re.IGNORECASE):
        raise bad_request("failed to get HTTP URL content")
    stored = ctx.state.files.get(source)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        raise bad_request("type of file mismatch")
    return stored


def _deliver(
    ctx: CallContext, kind: str, build: Callable[[], tuple[JSONDict, list[str]]]
) -> JSONDict:
    state, bot, params = ctx.state, ctx.bot, ctx.params
    reply_id, allow_without_reply = _reply_spec(ctx)
    markup = parse_reply_markup(params.get("reply_markup"))
    conv = chat_for_bot(state, bot, params.get("chat_id"), write=True)
    reply_to: MessageRecord | None = None
    if reply_id > 0:
        target = conv.messages.get(reply_id)
        if target is not None and not target.deleted:
            reply_to = target
        elif not allow_without_reply:
            raise bad_request("message to be replied not found")
    content, file_ids = build()
    retry = state.ratelimit.check(
        bot.id,
        conv.chat_id,
        state.chat_type(conv.chat_id),
        time.time(),
        enforce=state.config.rate_limit_enforced,
    )
    if retry is not None:
        raise too_many_requests(retry)
    if params.get_bool("protect_content"):
        content["has_protected_content"] = True
    record = state.add_message(
        conv,
        outgoing=True,
        sender_id=bot.id,
        kind=kind,
        content=content,
        reply_to=reply_to,
        inline_markup=markup.inline,
        keyboard=markup.keyboard,
        file_ids=file_ids,
        method=ctx.method,
    )
    return copy.deepcopy(record.payload)


async def send_message(ctx: CallContext) -> JSONDict:
    text = ctx.params.get("text")
    if not text:
        raise bad_request("message text is empty")
    if ctx.params.get("link_preview_options"):
        try:
            json.loads(ctx.params.get("link_preview_options"))
        except ValueError as exc:
            raise bad_request("can't parse link preview options JSON object") from exc
    plain, entities = _format(ctx, text, "entities")
    if not plain:
        raise bad_request("message text is empty")
    check_length(plain, TEXT_LIMIT, caption=False)
    content: JSONDict = {"text": plain}
    if entities:
        content["entities"] = entities
    return _deliver(ctx, "text", lambda: (content, []))


async def send_photo(ctx: CallContext) -> JSONDict:
    source = _input_source(ctx, "photo", "there is no photo in the request")
    caption = _caption(ctx)

    def build() -> tuple[JSONDict, list[str]]:
        resolved = _resolve_source(ctx, source, "photo")
        files = ctx.state.files
        if isinstance(resolved, UploadedFile):
            size = image_size(resolved.content)
            if size is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            width, height = size
            if width + height > 10000 or max(width, height) > 20 * max(1, min(width, height)):
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            if len(resolved.content) > 10 * 1024 * 1024:
                raise bad_request("PHOTO_SAVE_FILE_INVALID")
            sizes = files.add_photo(width, height, resolved.content)
        else:
            sizes = files.photo_sets.get(resolved.file_id) or [
                {**resolved.base_json(), "width": resolved.width, "height": resolved.height}
            ]
        content: JSONDict = {"photo": copy.deepcopy(sizes), **caption}
        if ctx.params.get_bool("has_spoiler"):
            content["has_media_spoiler"] = True
        return content, [size["file_id"] for size in sizes]

    return _deliver(ctx, "photo", build)


def _document_json(stored: StoredFile) -> JSONDict:
    document: JSONDict = {}
    if stored.file_name:
        document["file_name"] = stored.file_name
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    document.update(stored.base_json())
    return document


async def send_document(ctx: CallContext) -> JSONDict:
    source = _input_source(ctx, "document", "there is no document in the request")
    caption = _caption(ctx)

    def build() -> tuple[JSONDict, list[str]]:
        resolved = _resolve_source(ctx, source, "document")
        if isinstance(resolved, UploadedFile):
            name = resolved.filename or "document"
            mime = guess_mime(name, resolved.content_type)
            stored = ctx.state.files.add(
                "document", resolved.content, file_name=name, mime_type=mime
            )
        else:
            stored = resolved
        return {"document": _document_json(stored), **caption}, [stored.file_id]

    return _deliver(ctx, "document", build)


async def send_voice(ctx: CallContext) -> JSONDict:
    source = _input_source(ctx, "voice", "there is no voice in the request")
    caption = _caption(ctx)
    # Telegram plays Ogg/Opus, MP3 and M4A as voice; any other upload arrives as a document.
    as_document = isinstance(source, UploadedFile) and voice_mime(source.content) is None

    def build() -> tuple[JSONDict, list[str]]:
        resolved = _resolve_source(ctx, source, "voice")
        files = ctx.state.files
        if isinstance(resolved, UploadedFile):
            content = resolved.content
            if as_document:
                name = resolved.filename or "voice"
                mime = guess_mime(name, resolved.content_type)
                stored = files.add("document", content, file_name=name, mime_type=mime)
                return {"document": _document_json(stored), **caption}, [stored.file_id]
            duration = ctx.params.get_int("duration", lo=0) or voice_seconds(content) or 0
            stored = files.add("voice", content, mime_type=voice_mime(content), duration=duration)
        else:
            stored = resolved  # a file_id keeps the length it was stored with
        voice: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": stored.duration or 0,
        }
        if stored.mime_type:
            voice["mime_type"] = stored.mime_type
        voice["file_size"] = stored.file_size
        return {"voice": voice, **caption}, [stored.file_id]

    return _deliver(ctx, "document" if as_document else "voice", build)


async def send_location(ctx: CallContext) -> JSONDict:
    params = ctx.params
    values: dict[str, float] = {}
    for name, bound in (("latitude", 90.0), ("longitude", 180.0)):
        raw = params.get(name).strip()
        if not raw:
            raise bad_request(f"{name} is empty")
        try:
            values[name] = float(raw)
        except ValueError:
            values[name] = 0.0
        if abs(values[name]) > bound:
            raise bad_request("wrong location specified")
    return _deliver(ctx, "location", lambda: ({"location": values}, []))


async def send_contact(ctx: CallContext) -> JSONDict:
    contact: JSONDict = {}
    for name in ("phone_number", "first_name"):
        value = ctx.params.get(name)
        if not value:
            raise bad_request(f'parameter "{name}" is required')
        contact[name] = value
    if ctx.params.get("last_name"):
        contact["last_name"] = ctx.params.get("last_name")
    return _deliver(ctx, "contact", lambda: ({"contact": contact}, []))


def _edit_target(ctx: CallContext) -> tuple[Conversation, MessageRecord]:
    params = ctx.params
    chat_raw = params.get("chat_id")
    message_id = max(params.get_int("message_id"), 0)
    if not chat_raw and message_id == 0:
        if not params.get("inline_message_id"):
            raise bad_request("message identifier is not specified")
        raise bad_request("MESSAGE_ID_INVALID")
    conv = chat_for_bot(ctx.state, ctx.bot, chat_raw, write=True)
    record = conv.messages.get(message_id)
    if message_id == 0 or record is None or record.deleted:
        raise bad_request("message to edit not found")
    if not record.outgoing:
        raise bad_request("message can't be edited")
    return conv, record


def _inline_markup(ctx: CallContext) -> JSONDict | None:
    markup = parse_reply_markup(ctx.params.get("reply_markup"))
    if markup.keyboard is not None:
        raise bad_request("inline keyboard expected")
    return markup.inline


def _apply_edit(
    ctx: CallContext,
    conv: Conversation,
    record: MessageRecord,
    changes: dict[str, Any],
    markup: JSONDict | None,
) -> JSONDict:
    changes = {**changes, "reply_markup": markup}
    payload = record.payload
    old = {key: payload.get(key) for key in changes}
    if old == changes:
        raise bad_request(MESSAGE_NOT_MODIFIED)
    now = time.time()
    snapshot = {key: value for key, value in old.items() if value is not None}
    record.edits.append({"replaced_at": now, **copy.deepcopy(snapshot)})
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    payload["edit_date"] = int(now)
    record.updated_seq = ctx.state.next_seq()
    ctx.state.record_bot_event(conv, "edited", record, ctx.method)
    return copy.deepcopy(payload)


async def edit_message_text(ctx: CallContext) -> JSONDict:
    text = ctx.params.get("text")
    if not text:
        raise bad_request("message text is empty")
    plain, entities = _format(ctx, text, "entities")
    if not plain:
        raise bad_request("message text is empty")
    check_length(plain, TEXT_LIMIT, caption=False)
    markup = _inline_markup(ctx)
    conv, record = _edit_target(ctx)
    if record.kind != "text":
        raise bad_request("there is no text in the message to edit")
    changes = {"text": plain, "entities": entities or None}
    return _apply_edit(ctx, conv, record, changes, markup)


async def edit_message_caption(ctx: CallContext) -> JSONDict:
    markup = _inline_markup(ctx)
    caption = _caption(ctx)
    conv, record = _edit_target(ctx)
    if record.kind in ("text", "location", "contact"):
        raise bad_request("there is no caption in the message to edit")
    changes = {
        "caption": caption.get("caption"),
        "caption_entities": caption.get("caption_entities"),
    }
    return _apply_edit(ctx, conv, record, changes, markup)


async def edit_message_reply_markup(ctx: CallContext) -> JSONDict:
    markup = _inline_markup(ctx)
    conv, record = _edit_target(ctx)
    return _apply_edit(ctx, conv, record, {}, markup)


async def delete_message(ctx: CallContext) -> bool:
    state, params = ctx.state, ctx.params
    if not params.get("chat_id"):
        raise bad_request("chat identifier is not specified")
    message_id = max(params.get_int("message_id"), 0)
    if message_id == 0:
        raise bad_request("message identifier is not specified")
    conv = chat_for_bot(state, ctx.bot, params.get("chat_id"), write=True)
    record = conv.messages.get(message_id)
    if record is None or record.deleted:
        raise bad_request("message to delete not found")
    if not record.outgoing and conv.chat_id < 0:
        status = state.chats[conv.chat_id].members.get(ctx.bot.id)
        if status not in ADMIN_STATUSES:
            raise bad_request("message can't be deleted")
    record.deleted = True
    record.updated_seq = state.next_seq()
    state.record_bot_event(conv, "deleted", record, ctx.method)
    return True


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "sendVoice": send_voice,
    "sendLocation": send_location,
    "sendContact": send_contact,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
}
