from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casework import access, audit, dashboard


@never_cache
@require_GET
def healthz(request):
    """200 when the database answers, 503 otherwise; for load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@login_required
@require_GET
def home(request):
    """The dashboard: for caseworkers and supervisors their caseload, what needs action and recent
    activity; for administrators an overview in counts; for analysts and auditors where to go instead.

    It names case references (never case content), so a casework dashboard is one `view` event in the
    trail with the number of references shown, like a page of the case list.
    """
    board = dashboard.build(request.user)
    if board.kind == "casework":
        audit.record(
            audit.Action.VIEW,
            request=request,
            details={"page": "dashboard", "references_shown": board.references_shown},
        )
    return render(
        request,
        "casework/dashboard.html",
        {
            "board": board,
            "role": access.role_of(request.user),
            "may_use_admin": access.may_use_admin(request.user),
            "waiting_days": settings.CASEWORK_REFERRAL_WAITING_DAYS,
            "overdue_days": settings.CASEWORK_ASSESSMENT_OVERDUE_DAYS,
        },
    )
