"""What the case page's workflow panel (casework/_workflow.html) offers the signed-in user.

`{% case_workflow case as workflow %}` decides, through the workflow service's permission rules, which
forms the user may use on this case, and reads what they show in a fixed number of queries whatever the
data: the latest closure request (one query). A supervisor gets a link to the assignment page rather than
its select: an option per colleague (335 in a large organisation) was a quarter of the case page's time
on every visit, for a change made on few of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from casework import access, choices
from casework.models import Case, ClosureRequest
from casework.workflow_views import ClosureRequestForm, DecisionForm, latest_closure

register = template.Library()


@dataclass
class Workflow:
    case: Case
    latest: ClosureRequest | None = None
    may_assign: bool = False
    request_form: ClosureRequestForm | None = None
    decide_form: DecisionForm | None = None
    may_archive: bool = False

    @property
    def pending(self) -> ClosureRequest | None:
        return self.latest if self.latest is not None and self.latest.is_pending else None

    @property
    def returned(self) -> ClosureRequest | None:
        """The last request, if it was returned and the case is still open: what the caseworker should
        act on before asking again."""
        latest = self.latest
        if latest is not None and latest.decision == ClosureRequest.Decision.RETURNED and self.case.is_open:
            return latest
        return None


@register.simple_tag(takes_context=True)
def case_workflow(context, case: Case) -> Workflow:
    user = context["request"].user
    latest = latest_closure(user, case)
    result = Workflow(case=case, latest=latest)
    pending = latest is not None and latest.is_pending
    supervises = access.may_supervise(user, case)
    if supervises:
        result.may_assign = True
        result.may_archive = case.status == choices.CaseStatus.CLOSED
        if pending:
            result.decide_form = DecisionForm()
    if not pending and access.may_request_closure(user, case):
        result.request_form = ClosureRequestForm()
    return result
