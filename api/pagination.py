from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """`?page=N&page_size=M` (max 200). Page numbers work with any ordering the
    client asks for; a cursor would tie clients to one sort key."""

    page_size_query_param = "page_size"
    max_page_size = 200
