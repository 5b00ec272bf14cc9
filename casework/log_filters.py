"""Logging filters that keep case data out of the logs, whatever level an operator chooses."""

import logging

from django.template.base import VariableDoesNotExist


class WithoutTemplateContext(logging.Filter):
    """django.template logs a template variable it cannot resolve at DEBUG, with the exception attached;
    the exception's text is the whole template context — the page's data, free text included. Keep the
    line (which variable, which template), drop the exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], VariableDoesNotExist):
            record.exc_info = None
            record.exc_text = None
        return True
