"""The counter's API: tills, cash sessions, sales, refunds, receipts, pricing rules and limits,
and the catalogue snapshot a till caches. Views validate, call one service and serialise."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

import django_filters
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from grocery.errors import DomainError, NotFound
from grocery.models import CashSession, Limit, Payment, PricingRule, Refund, Sale, Site, Till
from grocery.models.counter import ORIGIN_CHOICES

from . import receipts, selectors, services
from .services import limit_delete, limit_save, pricing_rule_delete, pricing_rule_save, till_save

# --- Tills -------------------------------------------------------------------------------------


class TillSerializer(serializers.ModelSerializer):
    open_session = serializers.SerializerMethodField()

    class Meta:
        model = Till
        fields = ["id", "site", "name", "is_active", "open_session"]

    def get_open_session(self, till) -> int | None:
        open_sessions = getattr(till, "open_sessions", None)
        return open_sessions[0].pk if open_sessions else None


class TillFilter(django_filters.FilterSet):
    class Meta:
        model = Till
        fields = ["site", "is_active"]


class TillViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Tills of each site, with their open session if any. Managers add and rename them."""

    lookup_value_converter = "int"
    capabilities = {
        "list": "till.use",
        "retrieve": "till.use",
        "create": "settings.manage",
        "update": "settings.manage",
        "partial_update": "settings.manage",
    }
    serializer_class = TillSerializer
    filterset_class = TillFilter

    def get_queryset(self):
        from django.db.models import Prefetch

        return Till.objects.select_related("site").prefetch_related(
            Prefetch(
                "sessions",
                queryset=CashSession.objects.filter(closed_at__isnull=True),
                to_attr="open_sessions",
            )
        )

    def perform_create(self, serializer):
        serializer.instance = till_save(till=None, actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = till_save(
            till=serializer.instance, actor=self.request.user, **serializer.validated_data
        )


# --- Cash sessions ------------------------------------------------------------------------------


class CashCountField(serializers.DictField):
    child = serializers.IntegerField(min_value=0)


class CashSessionSerializer(serializers.ModelSerializer):
    site = serializers.IntegerField(source="till.site_id", read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    opened_by = serializers.CharField(source="opened_by.username", read_only=True)
    closed_by = serializers.CharField(source="closed_by.username", read_only=True, default=None)

    class Meta:
        model = CashSession
        fields = [
            "id",
            "till",
            "site",
            "is_open",
            "opened_at",
            "opened_by",
            "opening_count",
            "opening_total",
            "closed_at",
            "closed_by",
            "closing_count",
            "closing_total",
            "expected_cash",
            "difference",
            "closing_note",
        ]
        read_only_fields = fields


class CashSessionOpenSerializer(serializers.Serializer):
    till = serializers.IntegerField()
    opening_count = serializers.JSONField(default=dict)


class CashSessionCloseSerializer(serializers.Serializer):
    closing_count = serializers.JSONField(default=dict)
    pending_offline_sales = serializers.IntegerField(min_value=0, default=0)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CashSessionFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="till__site")
    is_open = django_filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull")
    opened_after = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="lt")

    class Meta:
        model = CashSession
        fields = ["till", "site", "is_open", "opened_after", "opened_before"]


class CashSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Open a till with its cash count, close it with the second count, read its Z report."""

    lookup_value_converter = "int"
    capability = "till.use"
    serializer_class = CashSessionSerializer
    filterset_class = CashSessionFilter

    def get_queryset(self):
        return selectors.sessions()

    @extend_schema(request=CashSessionOpenSerializer, responses={201: CashSessionSerializer})
    def create(self, request):
        data = _valid(CashSessionOpenSerializer, request.data)
        session = services.cash_session_open(
            till_id=data["till"], opening_count=data["opening_count"], actor=request.user
        )
        return Response(CashSessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CashSessionCloseSerializer, responses={200: CashSessionSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        session = self.get_object()
        data = _valid(CashSessionCloseSerializer, request.data)
        session = services.cash_session_close(
            session_id=session.pk,
            closing_count=data["closing_count"],
            pending_offline_sales=data["pending_offline_sales"],
            note=data["note"],
            actor=request.user,
        )
        return Response(CashSessionSerializer(session).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], url_path="z-report")
    def z_report(self, request, pk=None):
        return Response(_jsonable(selectors.z_report(self.get_object())))


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "isoformat"):
        return (
            timezone.localtime(value).isoformat()
            if hasattr(value, "tzinfo") and value.tzinfo
            else value.isoformat()
        )
    return value


# --- Sales --------------------------------------------------------------------------------------


class SaleLineInSerializer(serializers.Serializer):
    barcode = serializers.CharField(required=False, allow_blank=True, max_length=64)
    product = serializers.IntegerField(required=False, min_value=1)
    quantity = serializers.CharField(required=False, help_text='Nombre de pièces, ex. "2"')
    weight = serializers.CharField(required=False, help_text='Poids en kg, ex. "0.450"')


class PaymentInSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    amount = serializers.CharField()


class SaleCreateSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    session = serializers.IntegerField()
    card = serializers.CharField(max_length=40)
    sold_at = serializers.DateTimeField(required=False)
    lines = SaleLineInSerializer(many=True)
    payments = PaymentInSerializer(many=True, required=False, default=list)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


def _decimal(value, *, what: str, code: str, line: int | None = None, field: str = "lines") -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        extra = {"line": line} if line is not None else {}
        raise DomainError.for_field(field, f"{what} invalide : « {value} ».", code, extra=extra)
    return number


def sale_inputs(data: dict) -> dict:
    """The sale service's arguments from a validated request, with coded errors naming the line."""
    lines = []
    for index, line in enumerate(data["lines"]):
        lines.append(
            services.LineInput(
                barcode=(line.get("barcode") or "").strip() or None,
                product_id=line.get("product"),
                quantity=_decimal(line.get("quantity"), what="Quantité", code="invalid_quantity", line=index),
                weight=_decimal(line.get("weight"), what="Poids", code="invalid_quantity", line=index),
            )
        )
    payments = []
    for index, payment in enumerate(data["payments"]):
        amount = _decimal(payment["amount"], what="Montant", code="invalid_payment", field="payments")
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise DomainError.for_field(
                "payments",
                f"Montant invalide : « {payment['amount']} ».",
                "invalid_payment",
                extra={"payment": index},
            )
        payments.append(services.PaymentInput(method=payment["method"], amount=amount))
    return {
        "sale_id": data["id"],
        "session_id": data["session"],
        "card_number": data["card"],
        "lines": lines,
        "payments": payments,
        "sold_at": data.get("sold_at"),
        "override_reason": data["override_reason"],
    }


class SaleLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.IntegerField(source="product_id")
    name = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    refunded_quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit = serializers.CharField()
    market_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    rate = serializers.DecimalField(max_digits=4, decimal_places=3)
    line_market_value = serializers.DecimalField(source="market_value", max_digits=10, decimal_places=2)
    price_paid = serializers.DecimalField(max_digits=10, decimal_places=2)
    saving = serializers.DecimalField(max_digits=10, decimal_places=2)
    past_best_before = serializers.BooleanField()
    lots = serializers.SerializerMethodField()

    def get_lots(self, line) -> list[dict]:
        return [
            {
                "lot": a.lot_id,
                "quantity": f"{a.quantity:.3f}",
                "rate": f"{a.rate:.3f}",
                "past_best_before": a.past_best_before,
            }
            for a in line.lots.all()
        ]


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["method", "amount"]


class RefundLineSerializer(serializers.Serializer):
    sale_line = serializers.IntegerField(source="sale_line_id")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    market_value = serializers.DecimalField(max_digits=10, decimal_places=2)


class RefundSerializer(serializers.ModelSerializer):
    lines = RefundLineSerializer(many=True, read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True)

    class Meta:
        model = Refund
        fields = [
            "id",
            "sale",
            "session",
            "at",
            "actor",
            "reason",
            "destination",
            "method",
            "amount",
            "market_value",
            "allowance_restored",
            "lines",
        ]


class SaleSummarySerializer(serializers.ModelSerializer):
    till = serializers.IntegerField(source="session.till_id")
    household = serializers.SerializerMethodField()
    cashier = serializers.CharField(source="cashier.username")
    totals = serializers.SerializerMethodField()
    payments = PaymentSerializer(many=True)

    class Meta:
        model = Sale
        fields = [
            "id",
            "receipt_number",
            "site",
            "session",
            "till",
            "sold_at",
            "recorded_at",
            "household",
            "cashier",
            "totals",
            "payments",
            "change_due",
            "allowance_basis",
            "override_reason",
        ]

    def get_household(self, sale) -> dict:
        return {"id": sale.household_id, "display_name": services._display_name(sale.household)}

    def get_totals(self, sale) -> dict:
        return {
            "market_value": f"{sale.market_value:.2f}",
            "paid": f"{sale.paid:.2f}",
            "savings": f"{sale.savings:.2f}",
        }


class SaleSerializer(SaleSummarySerializer):
    lines = SaleLineSerializer(many=True)
    refunds = RefundSerializer(many=True)
    remaining_allowance = serializers.SerializerMethodField()

    class Meta(SaleSummarySerializer.Meta):
        fields = [
            *SaleSummarySerializer.Meta.fields,
            "lines",
            "refunds",
            "remaining_allowance",
            "print_count",
        ]

    def get_remaining_allowance(self, sale) -> str | None:
        """As it was right after the sale (what the receipt says)."""
        return (sale.response or {}).get("remaining_allowance")


class SaleFilter(django_filters.FilterSet):
    till = django_filters.NumberFilter(field_name="session__till")
    sold_after = django_filters.IsoDateTimeFilter(field_name="sold_at", lookup_expr="gte")
    sold_before = django_filters.IsoDateTimeFilter(field_name="sold_at", lookup_expr="lt")
    date = django_filters.DateFilter(method="on_date")
    card = django_filters.CharFilter(field_name="card_number")

    class Meta:
        model = Sale
        fields = [
            "site",
            "session",
            "till",
            "household",
            "receipt_number",
            "sold_after",
            "sold_before",
            "date",
            "card",
        ]

    def on_date(self, queryset, name, value):
        start, end = selectors.day_bounds(value)
        return queryset.filter(sold_at__gte=start, sold_at__lt=end)


class RefundInLineSerializer(serializers.Serializer):
    sale_line = serializers.IntegerField()
    quantity = serializers.CharField()


class RefundCreateSerializer(serializers.Serializer):
    lines = RefundInLineSerializer(
        many=True, required=False, help_text="Lignes à rembourser ; absent : toute la vente."
    )
    reason = serializers.CharField(max_length=500)
    destination = serializers.ChoiceField(choices=Refund.Destination.choices)
    method = serializers.ChoiceField(choices=Payment.Method.choices, default=Payment.Method.CASH)
    session = serializers.IntegerField(required=False, allow_null=True)


class SaleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Record a sale (idempotent on its id), read and list sales, refund, print receipts."""

    capabilities = {
        "create": "till.use",
        "list": "sale.view",
        "retrieve": "sale.view",
        "receipt": "sale.view",
        "receipt_text": "sale.view",
        "refund": "sale.refund",
    }
    filterset_class = SaleFilter
    lookup_value_converter = "uuid"
    ordering_fields = ["sold_at", "receipt_number"]

    def get_queryset(self):
        return selectors.sale_summaries() if self.action == "list" else selectors.sales()

    def get_serializer_class(self):
        return SaleSummarySerializer if self.action == "list" else SaleSerializer

    def get_object(self):
        try:
            sale_id = uuid.UUID(str(self.kwargs["pk"]))
        except ValueError:
            raise NotFound("Vente introuvable.", "unknown_sale")
        return get_object_or_404(self.get_queryset(), pk=sale_id)

    @extend_schema(
        request=SaleCreateSerializer, responses={201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT}
    )
    def create(self, request):
        data = _valid(SaleCreateSerializer, request.data)
        result = services.sale_record(actor=request.user, **sale_inputs(data))
        return Response(
            result.response, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )

    @extend_schema(request=RefundCreateSerializer, responses={201: RefundSerializer})
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        sale = self.get_object()
        data = _valid(RefundCreateSerializer, request.data)
        lines = None
        if data.get("lines"):
            lines = [
                services.RefundLineInput(
                    sale_line_id=item["sale_line"],
                    quantity=_decimal(item["quantity"], what="Quantité", code="invalid_quantity", line=index),
                )
                for index, item in enumerate(data["lines"])
            ]
        refund = services.refund_create(
            sale_id=sale.pk,
            lines=lines,
            reason=data["reason"],
            destination=data["destination"],
            method=data["method"],
            session_id=data.get("session"),
            actor=request.user,
        )
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("duplicata", bool)],
        responses={(200, "text/html"): OpenApiResponse(OpenApiTypes.STR)},
    )
    @action(detail=True, methods=["get"])
    def receipt(self, request, pk=None):
        """The printable 80 mm receipt. The first print is the original, later ones DUPLICATA."""
        sale = self.get_object()
        context = receipts.receipt_context(sale, duplicata=_printed_before(request, sale))
        return HttpResponse(
            receipts.render_html(context, request=request), content_type="text/html; charset=utf-8"
        )

    @extend_schema(
        parameters=[OpenApiParameter("duplicata", bool)],
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR)},
    )
    @action(detail=True, methods=["get"], url_path="receipt/text")
    def receipt_text(self, request, pk=None):
        """The same receipt as plain text, 42 columns, for thermal printers."""
        sale = self.get_object()
        context = receipts.receipt_context(sale, duplicata=_printed_before(request, sale))
        return HttpResponse(receipts.render_text(context), content_type="text/plain; charset=utf-8")


def _printed_before(request, sale) -> bool:
    already = services.receipt_printed(sale_id=sale.pk)
    return bool(already) or request.query_params.get("duplicata") in ("1", "true", "oui")


class RefundFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="sale__site")
    after = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    before = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = Refund
        fields = ["sale", "session", "site", "destination", "after", "before"]


class RefundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_converter = "int"
    capability = "sale.view"
    serializer_class = RefundSerializer
    filterset_class = RefundFilter

    def get_queryset(self):
        return Refund.objects.select_related("actor").prefetch_related("lines")


# --- Pricing rules and limits (managers) --------------------------------------------------------


@extend_schema_field({"type": "string", "enum": [*PricingRule.Kind.values]})
class PricingKindField(serializers.ChoiceField):
    """Documented inline: other apps' "kind" enums have other values."""


@extend_schema_field({"type": "string", "enum": ["", *dict(ORIGIN_CHOICES)]})
class LotOriginField(serializers.ChoiceField):
    """Documented inline: stock's "origin" enum has other labels."""


class PricingRuleSerializer(serializers.ModelSerializer):
    kind = PricingKindField(choices=PricingRule.Kind.choices, default=PricingRule.Kind.FIXED)
    origin = LotOriginField(choices=ORIGIN_CHOICES, required=False, allow_blank=True)

    class Meta:
        model = PricingRule
        fields = ["id", "name", "site", "category", "origin", "kind", "rate", "is_active", "updated_at"]
        read_only_fields = ["updated_at"]


class LimitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Limit
        fields = [
            "id",
            "name",
            "site",
            "product",
            "category",
            "period",
            "quantity",
            "per_extra_person",
            "max_quantity",
            "is_active",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


class _ManagedViewSet(viewsets.ModelViewSet):
    lookup_value_converter = "int"
    capability = "pricing.manage"
    save_service = None
    delete_service = None

    def perform_create(self, serializer):
        serializer.instance = type(self).save_service(
            instance=None, actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = type(self).save_service(
            instance=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        type(self).delete_service(instance=instance, actor=self.request.user)


class PricingRuleViewSet(_ManagedViewSet):
    """Participation rates by category or lot origin (FEAD and given-free goods stay free)."""

    serializer_class = PricingRuleSerializer
    queryset = PricingRule.objects.select_related("site", "category")
    filterset_fields = ["site", "category", "origin", "kind", "is_active"]
    save_service = staticmethod(pricing_rule_save)
    delete_service = staticmethod(pricing_rule_delete)


class LimitViewSet(_ManagedViewSet):
    """Per-product and per-category limits, per visit or per month, scaled to the household."""

    serializer_class = LimitSerializer
    queryset = Limit.objects.select_related("site", "product", "category")
    filterset_fields = ["site", "product", "category", "period", "is_active"]
    save_service = staticmethod(limit_save)
    delete_service = staticmethod(limit_delete)


# --- Catalogue snapshot -------------------------------------------------------------------------


class CatalogueView(APIView):
    """What a till caches to work offline. `ETag`/`If-None-Match`: 304 when nothing changed."""

    capability = "till.use"

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 304: None})
    def get(self, request, site_id: int):
        site = Site.objects.filter(pk=site_id, is_active=True).first()
        if site is None:
            raise NotFound("Épicerie introuvable.", "unknown_site")
        snapshot = selectors.catalogue_snapshot(site)
        etag = f'"{snapshot["version"]}"'
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = Response(snapshot)
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response
