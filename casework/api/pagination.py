from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """`results` and `next`, as DESIGN §5 promises; `page_size` may be lowered or raised up to 200."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        # A page number that does not exist is a bad parameter (400 naming it), not a missing resource.
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as error:
            raise ValidationError({self.page_query_param: [str(error.detail)]}) from error
