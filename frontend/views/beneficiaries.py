"""CCAS back office pages: households and their file, budgets, referrals (prescribers' form,
list, commission), entitlements, goals, workshops, and the printable card. Thin: forms validate,
services write, DomainError messages are shown in French."""

import datetime
import json

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beneficiaries import cards as card_numbers
from beneficiaries import selectors, services
from beneficiaries.models import (
    BeneficiarySettings,
    Card,
    Entitlement,
    ExpenseCategory,
    Goal,
    Household,
    IncomeCategory,
    Member,
    Referral,
    Workshop,
)
from grocery.errors import DomainError
from grocery.models import Site
from grocery.permissions import has_capability, is_partner_only, requires

PAGE_SIZE = 50
MEMBER_ROWS = 6


# --- Forms -------------------------------------------------------------------------------------


class HouseholdContactForm(forms.Form):
    """The household's name and contact details, shared by registration and editing."""

    display_name = forms.CharField(label=gettext_lazy("Nom du foyer"), max_length=160)
    phone = forms.CharField(label=gettext_lazy("Téléphone"), max_length=30, required=False)
    email = forms.EmailField(label=gettext_lazy("Courriel"), required=False)
    address = forms.CharField(
        label=gettext_lazy("Adresse"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    postcode = forms.CharField(label=gettext_lazy("Code postal"), max_length=10, required=False)
    city = forms.CharField(label=gettext_lazy("Ville"), max_length=80, required=False)


class HouseholdForm(HouseholdContactForm):
    consent = forms.BooleanField(
        label=gettext_lazy("La personne a donné son accord au traitement de ses données"),
        required=True,
        error_messages={"required": gettext_lazy("Le consentement doit être recueilli.")},
    )
    confirm_not_duplicate = forms.BooleanField(
        label=gettext_lazy("Je confirme qu'il s'agit d'une autre personne (homonyme)"), required=False
    )


class MemberForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("Prénom"), max_length=80, required=False)
    last_name = forms.CharField(label=gettext_lazy("Nom"), max_length=80, required=False)
    birth_date = forms.DateField(
        label=gettext_lazy("Date de naissance"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sex = forms.ChoiceField(
        label=gettext_lazy("Sexe"), choices=Member.Sex.choices, initial=Member.Sex.UNDECLARED
    )
    relationship = forms.ChoiceField(label=gettext_lazy("Lien"), choices=Member.Relationship.choices)
    has_disability = forms.BooleanField(label=gettext_lazy("Handicap"), required=False)
    is_migrant = forms.BooleanField(label=gettext_lazy("Migrant"), required=False)
    is_homeless = forms.BooleanField(label=gettext_lazy("Sans domicile"), required=False)

    def clean(self):
        data = super().clean()
        filled = any(data.get(k) for k in ("first_name", "last_name", "birth_date"))
        if filled:
            for field in ("first_name", "last_name", "birth_date"):
                if not data.get(field):
                    self.add_error(field, _("Champ obligatoire."))
            if data.get("birth_date") and data["birth_date"] > timezone.localdate():
                self.add_error("birth_date", _("La date de naissance ne peut pas être dans le futur."))
        data["_filled"] = filled
        return data


MemberFormSet = forms.formset_factory(
    MemberForm, extra=MEMBER_ROWS, max_num=15, absolute_max=15, validate_max=True
)


def _amount_field(label):
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_value=100000,
        decimal_places=2,
        error_messages={
            "min_value": gettext_lazy("Le montant ne peut pas être négatif."),
            "max_value": gettext_lazy("Montant trop élevé."),
            "invalid": gettext_lazy("Montant invalide."),
        },
    )


class BudgetForm(forms.Form):
    """One monthly amount per category (the usual case); debts below."""

    note = forms.CharField(
        label=gettext_lazy("Commentaire"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in IncomeCategory.choices:
            self.fields[f"income_{value}"] = _amount_field(label)
        for value, label in ExpenseCategory.choices:
            self.fields[f"expense_{value}"] = _amount_field(label)
        for index in range(3):
            self.fields[f"debt_{index}_creditor"] = forms.CharField(
                label=gettext_lazy("Créancier"), required=False, max_length=120
            )
            self.fields[f"debt_{index}_outstanding"] = _amount_field(gettext_lazy("Restant dû"))
            self.fields[f"debt_{index}_monthly"] = _amount_field(gettext_lazy("Remboursement mensuel"))

    def income_fields(self):
        return [self[f"income_{v}"] for v in IncomeCategory.values]

    def expense_fields(self):
        return [self[f"expense_{v}"] for v in ExpenseCategory.values]

    def debt_rows(self):
        return [
            (self[f"debt_{i}_creditor"], self[f"debt_{i}_outstanding"], self[f"debt_{i}_monthly"])
            for i in range(3)
        ]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "incomes": [
                {"category": v, "monthly_amount": data[f"income_{v}"]}
                for v in IncomeCategory.values
                if data.get(f"income_{v}")
            ],
            "expenses": [
                {"category": v, "monthly_amount": data[f"expense_{v}"]}
                for v in ExpenseCategory.values
                if data.get(f"expense_{v}")
            ],
            "debts": [
                {
                    "creditor": data[f"debt_{i}_creditor"],
                    "outstanding": data.get(f"debt_{i}_outstanding") or 0,
                    "monthly_repayment": data.get(f"debt_{i}_monthly") or 0,
                }
                for i in range(3)
                if data.get(f"debt_{i}_creditor")
            ],
            "note": data.get("note", ""),
        }


class ReferralForm(forms.Form):
    situation = forms.CharField(
        label=gettext_lazy("Situation du foyer"), widget=forms.Textarea(attrs={"rows": 4})
    )
    reason = forms.CharField(
        label=gettext_lazy("Motif de la demande"), widget=forms.Textarea(attrs={"rows": 3})
    )
    proposed_goal = forms.CharField(
        label=gettext_lazy("Projet proposé (ex. apurer une dette)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    requested_months = forms.IntegerField(
        label=gettext_lazy("Durée demandée (mois)"), min_value=1, max_value=24, initial=3
    )


class ApproveForm(forms.Form):
    sites = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Épiceries"),
        queryset=Site.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    start = forms.DateField(label=gettext_lazy("Début"), widget=forms.DateInput(attrs={"type": "date"}))
    months = forms.IntegerField(label=gettext_lazy("Durée (mois)"), min_value=1, max_value=60)
    monthly_allowance = forms.DecimalField(
        label=gettext_lazy("Montant mensuel (€)"), min_value=0, max_value=100000, decimal_places=2
    )
    participation_rate = forms.DecimalField(
        label=gettext_lazy("Taux de participation (ex. 0,200)"),
        min_value=0,
        max_value=1,
        decimal_places=3,
        localize=True,
    )
    override_reason = forms.CharField(
        label=gettext_lazy("Motif de dérogation (si vous vous écartez des règles)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Motif"), widget=forms.Textarea(attrs={"rows": 2}))


class RenewForm(forms.Form):
    months = forms.IntegerField(label=gettext_lazy("Durée (mois)"), min_value=1, max_value=60, required=False)
    monthly_allowance = forms.DecimalField(
        label=gettext_lazy("Montant mensuel (€)"), min_value=0, max_value=100000, required=False
    )
    override_reason = forms.CharField(label=gettext_lazy("Motif de dérogation"), required=False)


class EndForm(ReasonForm):
    on_date = forms.DateField(
        label=gettext_lazy("Dernier jour"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class GoalForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=Goal.Kind.choices)
    label = forms.CharField(label=gettext_lazy("Créancier ou projet"), max_length=160)
    target_amount = forms.DecimalField(
        label=gettext_lazy("Montant visé (€)"), min_value=0.01, max_value=9999999
    )
    target_date = forms.DateField(
        label=gettext_lazy("Échéance"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ProgressForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Montant (€)"), min_value=0.01, max_value=100000)
    on_date = forms.DateField(
        label=gettext_lazy("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("Commentaire"), required=False, max_length=200)


class WorkshopForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Titre"), max_length=160)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Date et heure"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    site = forms.ModelChoiceField(
        label=gettext_lazy("Épicerie"), queryset=Site.objects.filter(is_active=True)
    )
    theme = forms.ChoiceField(label=gettext_lazy("Thème"), choices=Workshop.Theme.choices)
    capacity = forms.IntegerField(label=gettext_lazy("Places"), min_value=1, required=False)


def _show_domain_error(request, form, error: DomainError):
    """A service's refusal on the page: on the fields it names, else as a message."""
    placed = False
    if form is not None:
        for field, errors in error.fields.items():
            name = field.split(".")[-1].split("[")[0]
            if name in form.fields:
                for text in errors:
                    form.add_error(name, text)
                placed = True
    if not placed or error.message not in sum(error.fields.values(), []):
        messages.error(request, error.message)


# --- Households --------------------------------------------------------------------------------


@requires("household.view")
def household_list(request):
    queryset = selectors.households_for(request.user).order_by("display_name", "id")
    query = request.GET.get("q", "").strip()
    if query:
        queryset = queryset.filter(
            Q(display_name__icontains=query)
            | Q(reference__icontains=query)
            | Q(members__last_name__icontains=query)
            | Q(cards__number=query.replace(" ", ""))
        ).distinct()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = []
    for household in page:
        current = next(
            (
                e
                for e in household.entitlements.all()
                if e.status in Entitlement.IN_FORCE and e.start <= today <= e.end
            ),
            None,
        )
        rows.append({"household": household, "entitlement": current})
    return render(
        request, "frontend/beneficiaries/household_list.html", {"page": page, "rows": rows, "q": query}
    )


@requires("household.manage")
def household_create(request):
    form = HouseholdForm(request.POST or None)
    members = MemberFormSet(request.POST or None, prefix="m")
    duplicates = []
    if request.method == "POST" and form.is_valid() and members.is_valid():
        rows = [
            {k: v for k, v in m.cleaned_data.items() if k != "_filled"}
            for m in members
            if m.cleaned_data.get("_filled")
        ]
        data = dict(form.cleaned_data)
        data.pop("consent")
        try:
            household = services.household_create(actor=request.user, consent=True, members=rows, **data)
        except DomainError as error:
            if error.code == "possible_duplicate":
                duplicates = Household.objects.filter(pk__in=[d["id"] for d in error.extra["duplicates"]])
                messages.warning(request, error.message)
            else:
                _show_domain_error(request, form, error)
        else:
            messages.success(request, _("Foyer %(ref)s enregistré.") % {"ref": household.reference})
            return redirect("household_detail", pk=household.pk)
    return render(
        request,
        "frontend/beneficiaries/household_form.html",
        {
            "form": form,
            "members": members,
            "duplicates": duplicates,
            "consent_text": BeneficiarySettings.get_solo().consent_text,
            "perms_household_view": True,
        },
    )


@requires("household.view")
def household_detail(request, pk):
    household = get_object_or_404(selectors.households_for(request.user), pk=pk)
    settings = BeneficiarySettings.get_solo()
    context = {
        "household": household,
        "members": household.members.all(),
        "entitlements": household.entitlements.all(),
        "card": (household.active_cards or [None])[0],
        "goals": selectors.goals_with_progress().filter(entitlement__household=household),
        "referrals": household.referrals.select_related("created_by", "partner").order_by("-created_at"),
        "attendances": household.attendances.select_related("workshop").order_by("-workshop__starts_at"),
        "settings": settings,
        "can_manage": has_capability(request.user, "entitlement.manage"),
        "can_edit": has_capability(request.user, "household.manage"),
        "can_export": has_capability(request.user, "household.export"),
        "goal_form": GoalForm(),
        "progress_form": ProgressForm(),
        "reason_form": ReasonForm(),
        "end_form": EndForm(),
        "renew_form": RenewForm(),
        "today": timezone.localdate(),
    }
    if has_capability(request.user, "household.view_budget"):
        budget = household.budgets.prefetch_related("lines", "debts").order_by("-number").first()
        services.budget_access_record(household=household, actor=request.user, context="page:household")
        context["budget"] = budget
        context["budget_summary"] = selectors.budget_summary(household, budget, settings)
        context["show_budget"] = True
    return render(request, "frontend/beneficiaries/household_detail.html", context)


@requires("household.view_budget")
def budget_edit(request, pk):
    household = get_object_or_404(Household, pk=pk, anonymised_at__isnull=True)
    initial = {}
    latest = household.budgets.prefetch_related("lines", "debts").order_by("-number").first()
    if latest is not None:
        services.budget_access_record(household=household, actor=request.user, context="page:budget_edit")
        for line in latest.lines.all():
            initial[f"{line.kind}_{line.category}"] = (
                initial.get(f"{line.kind}_{line.category}") or 0
            ) + line.monthly_amount
        for index, debt in enumerate(list(latest.debts.all())[:3]):
            initial.update(
                {
                    f"debt_{index}_creditor": debt.creditor,
                    f"debt_{index}_outstanding": debt.outstanding,
                    f"debt_{index}_monthly": debt.monthly_repayment,
                }
            )
    form = BudgetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.budget_record(household=household, actor=request.user, **form.service_kwargs())
        except DomainError as error:
            _show_domain_error(request, form, error)
        else:
            messages.success(request, _("Budget enregistré (version %(n)s).") % {"n": version.number})
            return redirect("household_detail", pk=household.pk)
    return render(request, "frontend/beneficiaries/budget_form.html", {"household": household, "form": form})


@requires("household.export")
def household_export(request, pk):
    household = get_object_or_404(Household, pk=pk)
    data = services.household_export(household=household, actor=request.user)
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="foyer-{household.reference}.json"'
    return response


@requires("household.export")
def household_anonymise(request, pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    household = get_object_or_404(Household, pk=pk)
    try:
        services.household_anonymise(household=household, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Foyer anonymisé."))
    return redirect("household_detail", pk=household.pk)


# --- Cards -------------------------------------------------------------------------------------


@requires("household.view")
def card_print(request, pk):
    """The printable card: name, number, validity. Nothing sensitive."""
    card = get_object_or_404(Card.objects.select_related("household"), pk=pk, is_active=True)
    today = timezone.localdate()
    entitlement = selectors.entitlement_current(household_id=card.household_id, on_date=today)
    return render(
        request,
        "frontend/beneficiaries/card_print.html",
        {
            "card": card,
            "entitlement": entitlement,
            "barcode_svg": card_numbers.barcode_svg(card.number).decode(),
        },
    )


@requires("household.view")
def card_barcode(request, pk, fmt):
    card = get_object_or_404(Card, pk=pk)
    if fmt == "svg":
        return HttpResponse(card_numbers.barcode_svg(card.number), content_type="image/svg+xml")
    if fmt == "png":
        return HttpResponse(card_numbers.barcode_png(card.number), content_type="image/png")
    raise Http404


@requires("entitlement.manage")
def card_reissue(request, pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    household = get_object_or_404(Household, pk=pk)
    try:
        card = household.cards.filter(is_active=True).first()
        if card is None:
            services.card_issue(household=household, actor=request.user)
        else:
            services.card_reissue(card=card, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Nouvelle carte émise ; l'ancienne ne fonctionne plus."))
    return redirect("household_detail", pk=household.pk)


# --- Entitlements and goals (actions from the household file) ----------------------------------


@requires("entitlement.manage")
def entitlement_action(request, pk, action):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    entitlement = get_object_or_404(Entitlement, pk=pk)
    forms_by_action = {"renew": RenewForm, "suspend": ReasonForm, "resume": forms.Form, "end": EndForm}
    if action not in forms_by_action:
        raise Http404
    form = forms_by_action[action](request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label} : {' '.join(errors)}")
        return redirect("household_detail", pk=entitlement.household_id)
    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    calls = {
        "renew": lambda: services.entitlement_renew(entitlement=entitlement, actor=request.user, **data),
        "suspend": lambda: services.entitlement_suspend(entitlement=entitlement, actor=request.user, **data),
        "resume": lambda: services.entitlement_resume(entitlement=entitlement, actor=request.user),
        "end": lambda: services.entitlement_end(entitlement=entitlement, actor=request.user, **data),
    }
    try:
        calls[action]()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            {
                "renew": _("Droit renouvelé."),
                "suspend": _("Droit suspendu."),
                "resume": _("Droit réactivé."),
                "end": _("Droit terminé."),
            }[action],
        )
    return redirect("household_detail", pk=entitlement.household_id)


@requires("goal.manage")
def goal_create(request, pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    entitlement = get_object_or_404(Entitlement, pk=pk)
    form = GoalForm(request.POST)
    if form.is_valid():
        try:
            services.goal_create(entitlement=entitlement, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Objectif ajouté."))
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(
            request,
            _("Objectif non enregistré : ")
            + "; ".join(f"{form.fields[f].label} : {' '.join(e)}" for f, e in form.errors.items()),
        )
    return redirect("household_detail", pk=entitlement.household_id)


@requires("goal.manage")
def goal_progress(request, pk):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    goal = get_object_or_404(Goal.objects.select_related("entitlement"), pk=pk)
    form = ProgressForm(request.POST)
    if form.is_valid():
        try:
            services.goal_progress_add(goal=goal, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Avancée enregistrée."))
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(
            request,
            _("Avancée non enregistrée : ")
            + "; ".join(f"{form.fields[f].label} : {' '.join(e)}" for f, e in form.errors.items()),
        )
    return redirect("household_detail", pk=goal.entitlement.household_id)


# --- Referrals ---------------------------------------------------------------------------------


@requires("referral.view")
def referral_list(request):
    queryset = selectors.referrals_for(request.user).order_by("-created_at", "-id")
    status = request.GET.get("status", "")
    if status in Referral.Status.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "frontend/beneficiaries/referral_list.html",
        {
            "page": page,
            "status": status,
            "statuses": Referral.Status.choices,
            "can_create": has_capability(request.user, "referral.create"),
        },
    )


@requires("referral.create")
def referral_create(request):
    """The prescribers' form: the household (new, or an existing one by ?household=id), its
    budget and the request. Partners register new households; a person already known is linked
    to the existing file rather than duplicated."""
    user = request.user
    existing = None
    household_id = request.GET.get("household") or request.POST.get("household")
    if household_id:
        if not str(household_id).isdigit():
            raise Http404
        visible = selectors.households_for(user) if is_partner_only(user) else Household.objects.all()
        existing = get_object_or_404(visible, pk=household_id)
    household_form = None if existing else HouseholdForm(request.POST or None)
    members = None if existing else MemberFormSet(request.POST or None, prefix="m")
    budget_form = BudgetForm(request.POST or None, prefix="b")
    form = ReferralForm(request.POST or None)
    duplicates = []
    forms_valid = (
        request.method == "POST"
        and form.is_valid()
        and budget_form.is_valid()
        and (existing or (household_form.is_valid() and members.is_valid()))
    )
    if forms_valid:
        try:
            referral, linked = _create_referral(user, existing, household_form, members, budget_form, form)
        except DomainError as error:
            if error.code == "possible_duplicate":
                duplicates = Household.objects.filter(pk__in=[d["id"] for d in error.extra["duplicates"]])
                messages.warning(request, error.message)
            else:
                _show_domain_error(request, form, error)
        else:
            if linked:
                messages.warning(
                    request, _("Une personne était déjà connue : la demande a été rattachée à son dossier.")
                )
            messages.success(
                request, _("Orientation enregistrée (brouillon). Relisez-la puis transmettez-la.")
            )
            return redirect("referral_detail", pk=referral.pk)
    return render(
        request,
        "frontend/beneficiaries/referral_form.html",
        {
            "form": form,
            "household_form": household_form,
            "members": members,
            "budget_form": budget_form,
            "existing": existing,
            "duplicates": duplicates,
            "consent_text": BeneficiarySettings.get_solo().consent_text,
            "perms_household_view": has_capability(user, "household.view"),
        },
    )


def _create_referral(user, existing, household_form, members, budget_form, form):
    new_household = None
    if existing is None:
        rows = [
            {k: v for k, v in m.cleaned_data.items() if k != "_filled"}
            for m in members
            if m.cleaned_data.get("_filled")
        ]
        new_household = {**household_form.cleaned_data, "members": rows}
    return services.referral_open(
        actor=user,
        household=existing,
        new_household=new_household,
        budget=budget_form.service_kwargs(),
        **form.cleaned_data,
    )


@requires("referral.view")
def referral_detail(request, pk):
    referral = get_object_or_404(selectors.referrals_for(request.user), pk=pk)
    context = {
        "referral": referral,
        "can_act": has_capability(request.user, "referral.create"),
        "can_decide": has_capability(request.user, "referral.decide"),
    }
    if has_capability(request.user, "household.view_budget") and referral.budget_id:
        services.budget_access_record(
            household=referral.household, actor=request.user, context="page:referral"
        )
        context["budget_summary"] = selectors.budget_summary(
            referral.household, referral.budget, BeneficiarySettings.get_solo()
        )
    return render(request, "frontend/beneficiaries/referral_detail.html", context)


@requires("referral.create")
def referral_action(request, pk, action):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    referral = get_object_or_404(selectors.referrals_for(request.user), pk=pk)
    try:
        if action == "submit":
            services.referral_submit(referral=referral, actor=request.user)
            messages.success(request, _("Orientation transmise à la commission."))
        elif action == "withdraw":
            services.referral_withdraw(
                referral=referral, actor=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Orientation retirée."))
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("referral_detail", pk=referral.pk)


@requires("referral.decide")
def referral_queue(request):
    """The commission: submitted referrals, oldest first, with the reste à vivre, the threshold,
    the suggested allowance and the household's history."""
    settings = BeneficiarySettings.get_solo()
    page = Paginator(selectors.referrals_for_commission(), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.commission_rows(page, settings=settings)
    services.budget_accesses_record(
        households=[row["referral"].household for row in rows if row["budget"]],
        actor=request.user,
        context="page:commission",
    )
    return render(
        request,
        "frontend/beneficiaries/referral_queue.html",
        {"page": page, "rows": rows, "settings": settings},
    )


@requires("referral.decide")
def referral_decide(request, pk):
    referral = get_object_or_404(selectors.referrals_for_commission(), pk=pk)
    settings = BeneficiarySettings.get_solo()
    row = selectors.commission_rows([referral], settings=settings)[0]
    initial = {
        "sites": Site.objects.filter(is_active=True)[:1],
        "start": timezone.localdate(),
        "months": settings.period_months,
        "monthly_allowance": row["suggested_allowance"],
        "participation_rate": settings.participation_rate,
    }
    approve_form = ApproveForm(
        request.POST if request.POST.get("decision") == "approve" else None, initial=initial
    )
    refuse_form = ReasonForm(request.POST if request.POST.get("decision") == "refuse" else None)
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "approve" and approve_form.is_valid():
                services.referral_approve(referral=referral, actor=request.user, **approve_form.cleaned_data)
                messages.success(
                    request, _("Orientation accordée : le droit d'accès est ouvert et la carte émise.")
                )
                return redirect("household_detail", pk=referral.household_id)
            if request.POST.get("decision") == "refuse" and refuse_form.is_valid():
                services.referral_refuse(referral=referral, actor=request.user, **refuse_form.cleaned_data)
                messages.success(request, _("Orientation refusée."))
                return redirect("referral_queue")
        except DomainError as error:
            _show_domain_error(
                request, approve_form if request.POST.get("decision") == "approve" else refuse_form, error
            )
    if row["budget"]:
        services.budget_access_record(household=referral.household, actor=request.user, context="page:decide")
    return render(
        request,
        "frontend/beneficiaries/referral_decide.html",
        {
            "referral": referral,
            "row": row,
            "approve_form": approve_form,
            "refuse_form": refuse_form,
            "settings": settings,
        },
    )


# --- Workshops ---------------------------------------------------------------------------------


@requires("workshop.manage")
def workshop_list(request):
    form = WorkshopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workshop = services.workshop_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _show_domain_error(request, form, error)
        else:
            messages.success(request, _("Atelier créé."))
            return redirect("workshop_detail", pk=workshop.pk)
    queryset = Workshop.objects.select_related("site").prefetch_related("attendances").order_by("-starts_at")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "frontend/beneficiaries/workshop_list.html", {"page": page, "form": form})


@requires("workshop.manage")
def workshop_detail(request, pk):
    workshop = get_object_or_404(Workshop.objects.select_related("site"), pk=pk)
    if request.method == "POST":
        household = Household.objects.filter(
            Q(reference=request.POST.get("household", "").strip())
            | Q(cards__number=request.POST.get("household", "").replace(" ", ""), cards__is_active=True)
        ).first()
        if household is None:
            messages.error(request, _("Foyer introuvable (référence ou numéro de carte)."))
        else:
            try:
                services.attendance_record(
                    workshop=workshop,
                    household=household,
                    actor=request.user,
                    attended=request.POST.get("attended", "1") == "1",
                )
                messages.success(
                    request, _("Présence enregistrée pour %(name)s.") % {"name": household.display_name}
                )
            except DomainError as error:
                messages.error(request, error.message)
        return redirect("workshop_detail", pk=workshop.pk)
    attendances = workshop.attendances.select_related("household").order_by("household__display_name")
    return render(
        request,
        "frontend/beneficiaries/workshop_detail.html",
        {"workshop": workshop, "attendances": attendances},
    )


# --- Home page block -----------------------------------------------------------------------------


def home_block(request):
    """For the commission: referrals waiting for a decision and entitlements ending soon."""
    user = request.user
    if not has_capability(user, "referral.decide"):
        return None
    today = timezone.localdate()
    return {
        "title": _("Bénéficiaires"),
        "template": "frontend/beneficiaries/_home_block.html",
        "waiting": Referral.objects.filter(status=Referral.Status.SUBMITTED).count(),
        "ending": Entitlement.objects.filter(
            status=Entitlement.Status.ACTIVE, end__gte=today, end__lte=today + datetime.timedelta(days=14)
        ).count(),
    }


class HouseholdEditForm(HouseholdContactForm):
    notes = forms.CharField(
        label=gettext_lazy("Notes (confidentielles)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@requires("household.manage")
def household_edit(request, pk):
    """Contact details, notes, and adding a person to the household."""
    household = get_object_or_404(
        Household.objects.prefetch_related("members"), pk=pk, anonymised_at__isnull=True
    )
    fields = ("display_name", "phone", "email", "address", "postcode", "city", "notes")
    form = HouseholdEditForm(
        request.POST if request.POST.get("part") == "household" else None,
        initial={f: getattr(household, f) for f in fields},
    )
    member_form = MemberForm(request.POST if request.POST.get("part") == "member" else None, prefix="new")
    if request.method == "POST":
        try:
            if request.POST.get("part") == "household" and form.is_valid():
                services.household_update(household=household, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Foyer mis à jour."))
                return redirect("household_detail", pk=household.pk)
            if request.POST.get("part") == "member" and member_form.is_valid():
                data = {k: v for k, v in member_form.cleaned_data.items() if k != "_filled"}
                services.member_add(
                    household=household,
                    actor=request.user,
                    confirm_not_duplicate=bool(request.POST.get("confirm_not_duplicate")),
                    **data,
                )
                messages.success(request, _("Personne ajoutée au foyer."))
                return redirect("household_detail", pk=household.pk)
        except DomainError as error:
            _show_domain_error(request, member_form if request.POST.get("part") == "member" else form, error)
    return render(
        request,
        "frontend/beneficiaries/household_edit.html",
        {"household": household, "form": form, "member_form": member_form},
    )
