"""Sign-in: lockout answers and the audit events of signing in and out."""

from django.http import HttpResponse


def lockout_response(request, *args, **kwargs):
    # Placeholder replaced by the sign-in work: the same words whether or not the account exists.
    return HttpResponse("Too many failed sign-in attempts. Try again later.", status=429)
