# Runs `yushi migrate` and then `yushi run` as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY storage ./storage
# Chinese in digest charts needs no system font: the subset of Noto Sans CJK SC in
# bot/reports/fonts/ is package data and comes along. (For rare characters in chart titles,
# `apt-get install -y fonts-noto-cjk` in the final stage; it is used when present, ~90 MB.)
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_URL=sqlite+aiosqlite:////var/lib/yushi/yushi.sqlite3
COPY --from=build /install /usr/local
RUN useradd --system --create-home --home-dir /var/lib/yushi yushi
USER yushi
WORKDIR /var/lib/yushi
VOLUME ["/var/lib/yushi"]
# Migrations first; then exec, so the bot gets SIGTERM directly and stops cleanly.
CMD ["sh", "-c", "yushi migrate && exec yushi run"]
