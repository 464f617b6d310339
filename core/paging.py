"""Paging for long, ordered log lists (issue 7).

A supervisor's list is every filed log of their mentors, newest first: a few
thousand rows at program scale. Asking PostgreSQL for one page of whole rows,
ordered, made it read and sort every row (one heap page each) before the
page came back. `DeferredJoinPaginator` asks in two steps instead:

1. the page's primary keys, in order: the ordering columns and the filters
   are all in the covering index `log_mentor_order`, so this is an index-only
   scan and a sort of small tuples, however deep the page;
2. those rows by primary key, with the joins the page shows.

The count is an index-only scan of the same index. Two queries for a page
instead of one, and the number never changes with the data's size."""

from __future__ import annotations

from django.core.paginator import Page, Paginator


class DeferredJoinPaginator(Paginator):
    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset = self.object_list
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        by_pk = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
        # A row deleted between the two queries is simply left out.
        return self._get_page([by_pk[pk] for pk in ids if pk in by_pk], number, self)
