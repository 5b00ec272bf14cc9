"""`Cache-Control: no-store` on every response that may hold case data.

A page shown to a signed-in user, and anything the API answers, can name cases, staff or figures: no
browser cache, no shared proxy and no "back" button on a shared computer may keep a copy. What stays
cacheable is what anyone may see: static files (served before this middleware, by whitenoise) and the
pages of someone not signed in — and Django already marks the sign-in page itself `never_cache`.

The other security headers come from Django's settings (config/settings.py, security section) and
django-csp; this is the one rule Django has no setting for.
"""

from django.conf import settings
from django.utils.cache import patch_cache_control

API_PREFIX = "/api/"


def may_hold_private_data(request) -> bool:
    """True unless the request is known to come from someone not signed in, outside the API.

    A response made before authentication ran (an early refusal by a middleware) has no `user`: it
    is treated as private, except for static files."""
    if request.path.startswith(API_PREFIX):
        return True
    user = getattr(request, "user", None)
    if user is None:
        return not request.path.startswith(settings.STATIC_URL)
    return user.is_authenticated


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if may_hold_private_data(request):
            # `private` also drops any `public` a view set; `no-store` forbids keeping a copy at all.
            patch_cache_control(response, no_store=True, private=True)
        return response
