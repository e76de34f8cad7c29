"""The resident's own data: what /mydata exports."""

from __future__ import annotations

from typing import Any

from bot.domain import reference_number
from bot.runtime.scope import UpdateScope
from bot.texts import CONSENT_VERSION
from storage.models import utcnow
from storage.records import ResidentRecord


async def export_data(scope: UpdateScope, resident: ResidentRecord) -> dict[str, Any]:
    """Everything held about one resident, in plain JSON types."""
    prefix = scope.deps.district.reference_prefix
    opinions = await scope.opinions.for_resident(resident.id)
    draft = await scope.drafts.open_for(resident.id)
    return {
        "generated_at": utcnow().isoformat(),
        "notice_version": CONSENT_VERSION,
        "resident": {
            "telegram_user_id": resident.telegram_id,
            "pseudonym_shown_to_members": resident.pseudonym,
            "language": resident.lang,
            "consented_at": resident.consented_at.isoformat(),
            "consent_version": resident.consent_version,
        },
        "draft": None
        if draft is None
        else {
            "stage": draft.stage,
            "text": draft.text,
            "photo_file_ids": list(draft.photo_file_ids),
            "location": [draft.latitude, draft.longitude] if draft.has_location else None,
            "created_at": draft.created_at.isoformat(),
        },
        "opinions": [
            {
                "reference": reference_number(prefix, op.id),
                "text": op.text,
                "subdistrict_code": op.subdistrict,
                "category": op.category,
                "status": op.status,
                "photo_file_ids": list(op.photo_file_ids),
                "location": [op.latitude, op.longitude] if op.latitude is not None else None,
                "created_at": op.created_at.isoformat(),
                "revisions": [
                    {"text": r.text, "created_at": r.created_at.isoformat()} for r in op.revisions
                ],
            }
            for op in opinions
        ],
    }
