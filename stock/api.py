"""The stock API (`/api/v1/`): thin serializers and viewsets over the services and selectors."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from grocery.errors import DomainError
from grocery.models import PartnerOrganisation, Site
from grocery.permissions import is_partner_only

from . import selectors, services
from .filters import (
    AttestationFilter,
    DonationFilter,
    LotFilter,
    MovementFilter,
    ProductFilter,
    PurchaseFilter,
    StockLevelFilter,
    StocktakeFilter,
    TransferFilter,
    WasteFilter,
)
from .models import (
    Attestation,
    Category,
    Donation,
    DonationLine,
    Location,
    Lot,
    Movement,
    Product,
    Purchase,
    PurchaseLine,
    Stocktake,
    StocktakeLine,
    TemperatureReading,
    Transfer,
    Waste,
)

QTY = {"max_digits": 12, "decimal_places": 3}
MONEY = {"max_digits": 10, "decimal_places": 2}


# --- Catalogue ---------------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "food_group", "given_free"]


class CategoryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_converter = "int"
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    capability = "catalogue.view"
    capabilities = {
        "create": "catalogue.manage",
        "update": "catalogue.manage",
        "partial_update": "catalogue.manage",
    }
    filterset_fields = ["food_group", "given_free"]

    def perform_create(self, serializer):
        serializer.instance = services.category_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.category_update(
            category=serializer.instance, actor=self.request.user, **serializer.validated_data
        )


class ProductSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    given_free = serializers.BooleanField(source="category.given_free", read_only=True)
    barcodes = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "brand",
            "category",
            "category_name",
            "given_free",
            "unit",
            "net_weight_kg",
            "market_price",
            "storage",
            "low_stock_threshold",
            "is_active",
            "barcodes",
        ]

    def get_barcodes(self, product) -> list[str]:
        return [barcode.code for barcode in product.barcodes.all()]


class ProductWriteSerializer(serializers.ModelSerializer):
    barcodes = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, write_only=True
    )

    class Meta:
        model = Product
        fields = [
            "name",
            "brand",
            "category",
            "unit",
            "net_weight_kg",
            "market_price",
            "storage",
            "low_stock_threshold",
            "is_active",
            "barcodes",
        ]


class BarcodeInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=30)


class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_converter = "int"
    queryset = Product.objects.select_related("category").prefetch_related("barcodes")
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    ordering_fields = ["name", "market_price"]
    capability = "catalogue.view"
    capabilities = {
        "create": "catalogue.manage",
        "update": "catalogue.manage",
        "partial_update": "catalogue.manage",
        "add_barcode": "catalogue.manage",
        "internal_code": "catalogue.manage",
    }

    @extend_schema(request=ProductWriteSerializer, responses={201: ProductSerializer})
    def create(self, request):
        data = ProductWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = services.product_create(actor=request.user, **data.validated_data)
        return Response(ProductSerializer(self._fresh(product)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProductWriteSerializer, responses=ProductSerializer)
    def update(self, request, pk=None, partial=False):
        product = self.get_object()
        data = ProductWriteSerializer(product, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("barcodes", None)
        product = services.product_update(product=product, actor=request.user, **fields)
        return Response(ProductSerializer(self._fresh(product)).data)

    @extend_schema(request=ProductWriteSerializer, responses=ProductSerializer)
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def _fresh(self, product):
        return self.get_queryset().get(pk=product.pk)

    @extend_schema(parameters=[OpenApiParameter("barcode", str, required=True)], responses=ProductSerializer)
    @action(detail=False, methods=["get"])
    def lookup(self, request):
        """The product of a scanned code (`invalid_barcode` 400, `unknown_barcode` 404)."""
        product = selectors.product_by_barcode(request.query_params.get("barcode", ""))
        return Response(ProductSerializer(self._fresh(product)).data)

    @extend_schema(request=BarcodeInputSerializer, responses={201: ProductSerializer})
    @action(detail=True, methods=["post"], url_path="barcodes")
    def add_barcode(self, request, pk=None):
        product = self.get_object()
        data = BarcodeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.barcode_add(product=product, code=data.validated_data["code"], actor=request.user)
        return Response(ProductSerializer(self._fresh(product)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: ProductSerializer})
    @action(detail=True, methods=["post"], url_path="internal-code")
    def internal_code(self, request, pk=None):
        product = self.get_object()
        services.internal_code_assign(product=product, actor=request.user)
        return Response(ProductSerializer(self._fresh(product)).data, status=status.HTTP_201_CREATED)


# --- Locations and temperatures ----------------------------------------------------------------


class LocationSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)

    class Meta:
        model = Location
        fields = ["id", "site", "site_name", "name", "kind", "is_active"]
        read_only_fields = ["is_active"]
        validators = []  # uniqueness is the service's job (a coded error)


class LocationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    lookup_value_converter = "int"
    queryset = Location.objects.select_related("site")
    serializer_class = LocationSerializer
    filterset_fields = ["site", "kind", "is_active"]
    capability = "stock.view"
    capabilities = {"create": "stock.manage"}

    def perform_create(self, serializer):
        serializer.instance = services.location_create(actor=self.request.user, **serializer.validated_data)


class TemperatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = TemperatureReading
        fields = ["id", "location", "at", "celsius", "limit_celsius", "is_alert", "note", "recorded_by"]
        read_only_fields = ["at", "limit_celsius", "is_alert", "recorded_by"]


class TemperatureViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    lookup_value_converter = "int"
    queryset = TemperatureReading.objects.select_related("location")
    serializer_class = TemperatureSerializer
    filterset_fields = ["location", "is_alert", "location__site"]
    capability = "stock.view"
    capabilities = {"create": "stock.manage"}

    def perform_create(self, serializer):
        serializer.instance = services.temperature_record(
            actor=self.request.user, **serializer.validated_data
        )


# --- Lots, movements, levels, alerts -----------------------------------------------------------


class LotSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit = serializers.CharField(source="product.unit", read_only=True)
    location_name = serializers.CharField(source="location.name", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True, default=None)

    class Meta:
        model = Lot
        fields = [
            "id",
            "product",
            "product_name",
            "unit",
            "site",
            "site_name",
            "location",
            "location_name",
            "origin",
            "partner",
            "partner_name",
            "use_by",
            "best_before",
            "best_before_month_only",
            "lot_number",
            "received_on",
            "unit_cost",
            "document_type",
            "document_id",
            "initial_quantity",
            "quantity_on_hand",
        ]


class LotViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_converter = "int"
    queryset = selectors.lots_list()
    serializer_class = LotSerializer
    filterset_class = LotFilter
    ordering_fields = ["use_by", "best_before", "received_on", "quantity_on_hand", "id"]
    ordering = ["id"]
    capability = "stock.view"


class MovementSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = Movement
        fields = [
            "id",
            "lot",
            "product",
            "site",
            "quantity",
            "kind",
            "at",
            "actor",
            "actor_name",
            "reason",
            "document_type",
            "document_id",
        ]

    def get_actor_name(self, movement) -> str | None:
        return movement.actor.get_full_name() or movement.actor.username if movement.actor else None


class MovementViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_converter = "int"
    queryset = selectors.movements_list()
    serializer_class = MovementSerializer
    filterset_class = MovementFilter
    ordering_fields = ["at", "id"]
    capability = "stock.view"


class StockLevelSerializer(serializers.Serializer):
    site = serializers.IntegerField()
    site_name = serializers.CharField()
    product = serializers.IntegerField()
    product_name = serializers.CharField()
    brand = serializers.CharField()
    unit = serializers.CharField()
    category_name = serializers.CharField()
    quantity = serializers.DecimalField(**QTY)
    low_stock_threshold = serializers.DecimalField(**QTY)
    is_low = serializers.BooleanField()
    lots = serializers.IntegerField()
    next_use_by = serializers.DateField(allow_null=True)
    next_best_before = serializers.DateField(allow_null=True)


class StockLevelView(generics.ListAPIView):
    """Quantity on hand per site and product (filters: site, product, category)."""

    serializer_class = StockLevelSerializer
    capability = "stock.view"
    filter_backends = []

    def get_queryset(self):
        lots = StockLevelFilter(self.request.query_params, queryset=Lot.objects.all()).qs
        return selectors.stock_levels(lots=lots)


class AlertLotSerializer(LotSerializer):
    class Meta(LotSerializer.Meta):
        fields = [
            "id",
            "product",
            "product_name",
            "unit",
            "location_name",
            "use_by",
            "best_before",
            "lot_number",
            "quantity_on_hand",
        ]


class StockAlertView(generics.GenericAPIView):
    """What needs doing at a site: DLC close or passed, DDM past tolerance, low stock, cold alerts."""

    capability = "stock.view"
    serializer_class = AlertLotSerializer

    @extend_schema(
        parameters=[OpenApiParameter("site", int, required=True), OpenApiParameter("days", int)],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        site = _site_param(request)
        days = request.query_params.get("days")
        if days is not None and (not days.isdigit() or int(days) > 365):
            raise DomainError.for_field("days", "Nombre de jours invalide.", "invalid")
        alerts = selectors.stock_alerts(site_id=site.pk, days=int(days) if days else None)
        lots = lambda rows: AlertLotSerializer(rows, many=True).data  # noqa: E731
        return Response(
            {
                "site": site.pk,
                "on_date": alerts["on_date"],
                "days": alerts["days"],
                "near_use_by": lots(alerts["near_use_by"]),
                "use_by_passed": lots(alerts["use_by_passed"]),
                "past_best_before_tolerance": lots(alerts["past_best_before_tolerance"]),
                "low_stock": [
                    {
                        "product": p.pk,
                        "name": p.name,
                        "quantity": str(p.quantity),
                        "low_stock_threshold": str(p.low_stock_threshold),
                    }
                    for p in alerts["low_stock"]
                ],
                "temperature": [
                    {
                        "location": loc.pk,
                        "name": loc.name,
                        "celsius": str(loc.last_celsius),
                        "at": loc.last_at,
                    }
                    for loc in alerts["temperature"]
                ],
            }
        )


def _site_param(request) -> Site:
    value = request.query_params.get("site") or ""
    if not value.isdigit():
        raise DomainError.for_field("site", "Indiquez l'épicerie (site).", "required")
    site = Site.objects.filter(pk=int(value)).first()
    if site is None:
        raise DomainError.for_field("site", "Épicerie inconnue.", "invalid_site", status=404)
    return site


# --- Donations ---------------------------------------------------------------------------------


class DonationLineSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True, default=None)

    class Meta:
        model = DonationLine
        fields = [
            "id",
            "product",
            "product_name",
            "description",
            "category",
            "quantity",
            "weight_kg",
            "use_by",
            "best_before",
            "lot_number",
            "unit_cost",
            "received_quantity",
            "lot",
        ]


class DonationSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    attestation_number = serializers.CharField(source="attestation.number", read_only=True, default=None)
    lines = DonationLineSerializer(many=True, read_only=True)

    class Meta:
        model = Donation
        fields = [
            "id",
            "partner",
            "partner_name",
            "site",
            "site_name",
            "origin",
            "donated_on",
            "status",
            "note",
            "received_at",
            "received_on",
            "attestation_number",
            "lines",
        ]


class DonationLineInputSerializer(serializers.Serializer):
    barcode = serializers.CharField(required=False, allow_blank=True, max_length=30)
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), required=False, allow_null=True
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=160)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    quantity = serializers.DecimalField(**QTY)
    weight_kg = serializers.DecimalField(required=False, allow_null=True, **QTY)
    use_by = serializers.DateField(required=False, allow_null=True)
    best_before = serializers.DateField(required=False, allow_null=True)
    lot_number = serializers.CharField(required=False, allow_blank=True, max_length=60)
    unit_cost = serializers.DecimalField(required=False, allow_null=True, **MONEY)


class DonationInputSerializer(serializers.Serializer):
    partner = serializers.PrimaryKeyRelatedField(queryset=PartnerOrganisation.objects.all(), required=False)
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.filter(is_active=True))
    donated_on = serializers.DateField(required=False)
    origin = serializers.ChoiceField(choices=Lot.Origin.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    lines = DonationLineInputSerializer(many=True, allow_empty=False)


class ReceiveLineSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    received_quantity = serializers.DecimalField(**QTY)
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False)
    use_by = serializers.DateField(required=False, allow_null=True)
    best_before = serializers.DateField(required=False, allow_null=True)
    lot_number = serializers.CharField(required=False, allow_blank=True, max_length=60)
    weight_kg = serializers.DecimalField(required=False, allow_null=True, **QTY)
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.filter(is_active=True), required=False
    )


class ReceiveInputSerializer(serializers.Serializer):
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.filter(is_active=True))
    received_on = serializers.DateField(required=False)
    lines = ReceiveLineSerializer(many=True, required=False)


class DonationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Partners log and change their own donations until they are received; staff receive them.

    A partner asking for another partner's donation gets 404 (the queryset is its own)."""

    lookup_value_converter = "int"
    serializer_class = DonationSerializer
    filterset_class = DonationFilter
    capability = "donation.log"
    capabilities = {"receive": "donation.receive", "pending": "donation.receive"}
    http_method_names = ["get", "post", "put", "head", "options"]

    def get_queryset(self):
        return selectors.donations_visible_to(self.request.user)

    def _partner(self, data):
        if is_partner_only(self.request.user):
            if self.request.user.partner is None:
                raise DomainError.for_field(
                    "partner", "Votre compte n'est rattaché à aucun partenaire.", "partner_required"
                )
            return self.request.user.partner
        return data.get("partner")

    def _fresh(self, donation):
        return self.get_queryset().get(pk=donation.pk)

    @extend_schema(request=DonationInputSerializer, responses={201: DonationSerializer})
    def create(self, request):
        data = DonationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        donation = services.donation_create(
            partner=self._partner(values),
            site=values["site"],
            lines=values["lines"],
            actor=request.user,
            donated_on=values.get("donated_on"),
            # The origin follows the partner's kind; only staff may set another (e.g. FEAD goods).
            origin=None if is_partner_only(request.user) else values.get("origin"),
            note=values.get("note", ""),
        )
        return Response(DonationSerializer(self._fresh(donation)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DonationInputSerializer, responses=DonationSerializer)
    def update(self, request, pk=None):
        donation = self.get_object()
        data = DonationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        donation = services.donation_update(
            donation=donation,
            lines=values["lines"],
            site=values["site"],
            actor=request.user,
            donated_on=values.get("donated_on"),
            note=values.get("note"),
        )
        return Response(DonationSerializer(self._fresh(donation)).data)

    @extend_schema(request=None, responses=DonationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        donation = services.donation_cancel(donation=self.get_object(), actor=request.user)
        return Response(DonationSerializer(self._fresh(donation)).data)

    @extend_schema(responses=DonationSerializer(many=True))
    @action(detail=False, methods=["get"])
    def pending(self, request):
        """Announced donations waiting to be received (filter by site)."""
        queryset = self.filter_queryset(self.get_queryset().filter(status=Donation.Status.ANNOUNCED))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DonationSerializer(page, many=True).data)

    @extend_schema(request=ReceiveInputSerializer, responses=DonationSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        donation = self.get_object()
        data = ReceiveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        counted = {}
        for row in values.get("lines", []):
            line_id = row.pop("line")
            counted[line_id] = row
        donation = services.donation_receive(
            donation=donation,
            location=values["location"],
            counted=counted,
            actor=request.user,
            received_on=values.get("received_on"),
        )
        return Response(DonationSerializer(self._fresh(donation)).data)


# --- Attestations ------------------------------------------------------------------------------


class AttestationSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = Attestation
        fields = [
            "id",
            "number",
            "year",
            "sequence",
            "partner",
            "partner_name",
            "form",
            "period_start",
            "period_end",
            "issued_on",
            "total_value",
            "total_weight_kg",
            "content",
        ]


class AttestationInputSerializer(serializers.Serializer):
    partner = serializers.PrimaryKeyRelatedField(queryset=PartnerOrganisation.objects.all())
    donation = serializers.PrimaryKeyRelatedField(queryset=Donation.objects.all(), required=False)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)


class AttestationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_converter = "int"
    serializer_class = AttestationSerializer
    filterset_class = AttestationFilter
    capability = "attestation.view"
    capabilities = {"create": "stock.manage"}

    def get_queryset(self):
        return selectors.attestations_visible_to(self.request.user)

    @extend_schema(request=AttestationInputSerializer, responses={201: AttestationSerializer})
    def create(self, request):
        data = AttestationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attestation = services.attestation_issue(actor=request.user, **data.validated_data)
        return Response(AttestationSerializer(attestation).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        from .attestation_pdf import attestation_pdf

        attestation = self.get_object()
        response = HttpResponse(attestation_pdf(attestation), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="attestation-{attestation.number}.pdf"'
        return response


# --- Purchases, waste, transfers, stocktakes, recall -------------------------------------------


class PurchaseLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = PurchaseLine
        fields = ["id", "product", "quantity", "unit_cost", "use_by", "best_before", "lot_number", "lot"]
        read_only_fields = ["lot"]


class PurchaseSerializer(serializers.ModelSerializer):
    lines = PurchaseLineSerializer(many=True)

    class Meta:
        model = Purchase
        fields = [
            "id",
            "supplier",
            "site",
            "ordered_on",
            "reference",
            "origin",
            "status",
            "received_at",
            "lines",
        ]
        read_only_fields = ["status", "received_at"]


class LocationInputSerializer(serializers.Serializer):
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.filter(is_active=True))
    received_on = serializers.DateField(required=False)


class PurchaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_converter = "int"
    queryset = Purchase.objects.select_related("site").prefetch_related("lines")
    serializer_class = PurchaseSerializer
    filterset_class = PurchaseFilter
    capability = "stock.manage"

    def create(self, request):
        data = PurchaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        purchase = services.purchase_create(actor=request.user, **values)
        return Response(
            PurchaseSerializer(self.get_queryset().get(pk=purchase.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=LocationInputSerializer, responses=PurchaseSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        purchase = self.get_object()
        data = LocationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        purchase = services.purchase_receive(purchase=purchase, actor=request.user, **data.validated_data)
        return Response(PurchaseSerializer(self.get_queryset().get(pk=purchase.pk)).data)


class WasteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Waste
        fields = ["id", "lot", "site", "quantity", "reason", "note", "at", "actor"]
        read_only_fields = ["site", "at", "actor"]


class WasteViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    lookup_value_converter = "int"
    queryset = Waste.objects.select_related("lot")
    serializer_class = WasteSerializer
    filterset_class = WasteFilter
    capability = "stock.manage"

    def perform_create(self, serializer):
        serializer.instance = services.waste_record(actor=self.request.user, **serializer.validated_data)


class TransferSerializer(serializers.ModelSerializer):
    class Meta:
        model = Transfer
        fields = ["id", "source", "destination", "to_location", "quantity", "note", "at", "actor"]
        read_only_fields = ["destination", "at", "actor"]


class TransferViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    lookup_value_converter = "int"
    queryset = Transfer.objects.select_related("source", "destination", "to_location")
    serializer_class = TransferSerializer
    filterset_class = TransferFilter
    capability = "stock.manage"

    def perform_create(self, serializer):
        values = dict(serializer.validated_data)
        serializer.instance = services.transfer_create(
            lot=values.pop("source"), actor=self.request.user, **values
        )


class StocktakeLineSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="lot.product.name", read_only=True)
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    barcodes = serializers.SerializerMethodField()
    difference = serializers.DecimalField(read_only=True, allow_null=True, **QTY)

    class Meta:
        model = StocktakeLine
        fields = [
            "id",
            "lot",
            "product_name",
            "lot_number",
            "barcodes",
            "expected_quantity",
            "counted_quantity",
            "difference",
        ]

    def get_barcodes(self, line) -> list[str]:
        return [barcode.code for barcode in line.lot.product.barcodes.all()]


class StocktakeSerializer(serializers.ModelSerializer):
    lines = StocktakeLineSerializer(many=True, read_only=True)

    class Meta:
        model = Stocktake
        fields = ["id", "location", "site", "status", "started_at", "posted_at", "note", "lines"]
        read_only_fields = ["site", "status", "started_at", "posted_at"]


class CountInputSerializer(serializers.Serializer):
    counts = serializers.DictField(
        child=serializers.DecimalField(allow_null=True, **QTY), help_text="Ligne → quantité comptée"
    )


class StocktakeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    lookup_value_converter = "int"
    queryset = Stocktake.objects.select_related("location").prefetch_related("lines__lot__product__barcodes")
    serializer_class = StocktakeSerializer
    filterset_class = StocktakeFilter
    capability = "stock.manage"

    def perform_create(self, serializer):
        stocktake = services.stocktake_start(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=stocktake.pk)

    def _answer(self, stocktake):
        return Response(StocktakeSerializer(self.get_queryset().get(pk=stocktake.pk)).data)

    @extend_schema(request=CountInputSerializer, responses=StocktakeSerializer)
    @action(detail=True, methods=["post"])
    def count(self, request, pk=None):
        stocktake = self.get_object()
        data = CountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        counts = {}
        for key, value in data.validated_data["counts"].items():
            if not str(key).isdigit():
                raise DomainError.for_field("counts", "Ligne inconnue pour cet inventaire.", "unknown_line")
            counts[int(key)] = value
        return self._answer(services.stocktake_count(stocktake=stocktake, counts=counts, actor=request.user))

    @extend_schema(request=None, responses=StocktakeSerializer)
    @action(detail=True, methods=["post"], url_path="post")
    def post_counts(self, request, pk=None):
        return self._answer(services.stocktake_post(stocktake=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=StocktakeSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._answer(services.stocktake_cancel(stocktake=self.get_object(), actor=request.user))


class RecallInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    lot_number = serializers.CharField(max_length=60)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class RecallView(generics.GenericAPIView):
    """GET: every lot of a product and lot number, where the rest is, where it went (households
    are added by the counter through `stock.selectors.RECALL_EXTENSIONS`). POST: withdraw it all."""

    capability = "stock.manage"
    serializer_class = RecallInputSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("product", int, required=True),
            OpenApiParameter("lot_number", str, required=True),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        data = RecallInputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        return Response(_recall_payload(data.validated_data["product"], data.validated_data["lot_number"]))

    @extend_schema(request=RecallInputSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        data = RecallInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product, lot_number = data.validated_data["product"], data.validated_data["lot_number"]
        wastes = services.recall_withdraw(
            product=product,
            lot_number=lot_number,
            actor=request.user,
            note=data.validated_data.get("note", ""),
        )
        payload = _recall_payload(product, lot_number)
        payload["withdrawn"] = [{"lot": w.lot_id, "quantity": str(w.quantity)} for w in wastes]
        return Response(payload)


def _recall_payload(product, lot_number) -> dict:
    result = selectors.recall_lookup(product_id=product.pk, lot_number=lot_number)
    return {
        "product": product.pk,
        "product_name": product.name,
        "lot_number": result["lot_number"],
        "lots": LotSerializer(result["lots"], many=True).data,
        "remaining": [
            {
                "site": r["site"].pk,
                "site_name": r["site"].name,
                "location": r["location"].pk,
                "location_name": r["location"].name,
                "quantity": str(r["quantity"]),
            }
            for r in result["remaining"]
        ],
        "total_remaining": str(result["total_remaining"]),
        "distributed": str(result["distributed"]),
        "movements": MovementSerializer(result["movements"], many=True).data,
        "households": result["households"],
    }
