"""The API's request parsers: DRF's, with hostile JSON answered 400 rather than 500."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser. JSON nested deeper than Python's recursion limit (`[[[[…]]]]`, a few hundred
    kilobytes of brackets) raises RecursionError, which DRF does not catch: refuse it as a parse error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
