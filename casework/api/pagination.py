from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """`results` and `next`, as DESIGN §5 promises; `page_size` may be lowered or raised up to 200."""

    page_size_query_param = "page_size"
    max_page_size = 200
