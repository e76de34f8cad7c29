"""Files attached to committee members' digests: a bar chart (PNG) and a spreadsheet (XLSX).

Pure code: no Telegram, no database. ``chart`` draws counts with matplotlib (Chinese through
``fonts``: a system Noto CJK or the subset shipped in ``fonts/``); ``sheet`` writes rows with
openpyxl.
"""
