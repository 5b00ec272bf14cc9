"""Refuse input holding NUL characters before it reaches a form, a serializer or the database.

PostgreSQL text cannot hold NUL (0x00): a lookup with one raises DataError, which Django's forms and
DRF's related fields do not expect, so a stray or hostile NUL would otherwise answer 500.
"""

from django.http import JsonResponse

MARKERS_IN_QUERY = ("%00", "\x00")
# Raw NUL in a form or multipart body; "\u0000" as JSON writes it.
MARKERS_IN_BODY = (b"\x00", b"\\u0000", b"\\U0000", b"%00")


class RejectNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._holds_nul(request):
            return JsonResponse({"detail": "Input must not contain NUL characters."}, status=400)
        return self.get_response(request)

    @staticmethod
    def _holds_nul(request) -> bool:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or any(marker in query for marker in MARKERS_IN_QUERY):
            return True
        if request.method in ("POST", "PUT", "PATCH"):
            body = request.body  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE; the app accepts no uploads
            return any(marker in body for marker in MARKERS_IN_BODY)
        return False
