"""One folder per feature: handlers, service, views, texts and button data together, and a
`register(features)` saying what the feature handles. bot/app.py calls them in order."""
