"""Printable pages of the counter: the 80 mm receipt (DUPLICATA on reprint) and the Z report."""

import uuid

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from grocery.counter import receipts, selectors, services
from grocery.permissions import requires


@requires("sale.view")
def receipt(request, sale_id: uuid.UUID):
    sale = get_object_or_404(selectors.sales(), pk=sale_id)
    already = services.receipt_printed(sale_id=sale.pk)
    context = receipts.receipt_context(sale, duplicata=bool(already) or "duplicata" in request.GET)
    return HttpResponse(receipts.render_html(context, request=request))


@requires("sale.view")
def receipt_text(request, sale_id: uuid.UUID):
    sale = get_object_or_404(selectors.sales(), pk=sale_id)
    already = services.receipt_printed(sale_id=sale.pk)
    context = receipts.receipt_context(sale, duplicata=bool(already) or "duplicata" in request.GET)
    return HttpResponse(receipts.render_text(context), content_type="text/plain; charset=utf-8")


@requires("till.use")
def z_report(request, session_id: int):
    session = selectors.sessions().filter(pk=session_id).first()
    if session is None:
        raise Http404("Session de caisse introuvable.")
    return render(request, "frontend/counter/z_report.html", {"report": selectors.z_report(session)})
