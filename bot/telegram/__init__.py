"""The Telegram-facing layer shared by every feature: the typed handler context, the unit of
work (services_for), the outbox, button data, keyboards, HTML and its limits, texts."""
