"""Session lifetime: an absolute limit from sign-in, on top of the idle timeout Django applies."""

import time

from django.conf import settings
from django.contrib.auth import logout

SIGNED_IN_AT = "casework_signed_in_at"


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.setdefault(SIGNED_IN_AT, int(time.time()))
            if time.time() - started > settings.SESSION_MAX_LIFETIME_HOURS * 3600:
                logout(request)
        return self.get_response(request)
