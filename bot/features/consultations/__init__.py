"""渝事好商量 consultations: an admin opens one (/consult, step by step with buttons and
typed answers), opted-in residents of its sub-districts are invited through the bulk outbox,
their answers attach to it, it closes at its deadline (or /consult_close) and its summary
reaches the members of those sub-districts and the admins; /outcome tells every
contributor. Residents choose whether to be invited with /invitations."""

from telegram.ext import CallbackQueryHandler

from bot.features.consultations import callbacks, handlers, jobs
from bot.features.consultations.service import ConsultationService
from bot.features.consultations.texts import t
from bot.features.staff import typed_inputs
from bot.telegram.application import Features

__all__ = ["ConsultationService", "register"]


def register(features: Features) -> None:
    # Typed answers of /consult and /outcome come through the staff feature's typed-answer
    # handler, which runs before intake: an admin's title never becomes an opinion.
    typed_inputs["consult"] = handlers.typed_for_consultation
    typed_inputs["outcome"] = handlers.typed_outcome
    features.ticker("consultations", jobs.consultation_tick)
    features.command("invitations", handlers.invitations_command, menu=t, rank=45)
    features.command("consult", handlers.consult_command, menu=t, rank=500, scope="admin")
    features.command("consult_close", handlers.close_command, menu=t, rank=510, scope="admin")
    features.command("outcome", handlers.outcome_command, menu=t, rank=520, scope="admin")
    features.command("consultations", handlers.list_command, menu=t, rank=530, scope="admin")
    features.add(CallbackQueryHandler(handlers.draft_pressed, pattern=callbacks.DRAFT.pattern))
    features.add(
        CallbackQueryHandler(handlers.invitation_pressed, pattern=callbacks.INVITATION.pattern)
    )
    features.add(CallbackQueryHandler(handlers.outcome_pressed, pattern=callbacks.OUTCOME.pattern))
