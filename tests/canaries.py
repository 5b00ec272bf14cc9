"""Canary strings, and where in the database one can be found: every column of every table, as text.

A canary is a unique string typed where free text goes; afterwards a test asks where it went. The search
reads the database itself (introspection, raw SQL), not the models, so a table no model mentions — a
history table, a third-party app's — is searched too. Sessions are stored encoded, so they are also
decoded and searched.
"""

from __future__ import annotations

import json
import secrets

from django.contrib.sessions.models import Session
from django.db import connection


def new_canary() -> str:
    """Unique per call; letters only, so nothing LIKE treats specially and nothing the identifier screen
    flags (digits could look like an ID number)."""
    return "Canary" + "".join(secrets.choice("bcdfghjkmnpqrstvwxz") for _ in range(12)) + "Zq"


def places_holding(text: str) -> list[str]:
    """Every `table.column` whose value, cast to text, contains `text`; plus decoded sessions."""
    quote = connection.ops.quote_name
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                cursor.execute(
                    f"SELECT COUNT(*) FROM {quote(table)} "  # noqa: S608 - names from introspection
                    f"WHERE CAST({quote(column.name)} AS TEXT) LIKE %s",
                    [f"%{text}%"],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column.name}")
    for session in Session.objects.all():
        if text in json.dumps(session.get_decoded(), default=str):
            found.append(f"django_session (decoded) {session.pk[:6]}…")
    return found
