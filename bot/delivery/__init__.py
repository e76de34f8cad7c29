"""The delivery machinery: updates in (poller -> inbox -> processor), calls out (outbox ->
sender), housekeeping (maintenance). It knows no feature and no text: what an update means
is the dispatcher's business (bot.telegram.dispatch), handed in by the assembly."""
