"""Pages of the beneficiaries area (CCAS back office and prescribers)."""

from django.urls import path

from .views import beneficiaries as views
from .views import core

if views.home_block not in core.HOME_BLOCKS:
    core.HOME_BLOCKS.append(views.home_block)

urlpatterns = [
    path("foyers/", views.household_list, name="household_list"),
    path("foyers/nouveau/", views.household_create, name="household_create"),
    path("foyers/<int:pk>/", views.household_detail, name="household_detail"),
    path("foyers/<int:pk>/modifier/", views.household_edit, name="household_edit"),
    path("foyers/<int:pk>/budget/", views.budget_edit, name="budget_edit"),
    path("foyers/<int:pk>/export/", views.household_export, name="household_export"),
    path("foyers/<int:pk>/anonymiser/", views.household_anonymise, name="household_anonymise"),
    path("foyers/<int:pk>/carte/remplacer/", views.card_reissue, name="card_reissue"),
    path("cartes/<int:pk>/imprimer/", views.card_print, name="card_print"),
    path("cartes/<int:pk>/code-barres.<str:fmt>", views.card_barcode, name="card_barcode"),
    path("droits/<int:pk>/<str:action>/", views.entitlement_action, name="entitlement_action"),
    path("droits/<int:pk>/objectifs/", views.goal_create, name="goal_create"),
    path("objectifs/<int:pk>/avancee/", views.goal_progress, name="goal_progress"),
    path("orientations/", views.referral_list, name="referral_list"),
    path("orientations/nouvelle/", views.referral_create, name="referral_create"),
    path("orientations/<int:pk>/", views.referral_detail, name="referral_detail"),
    path("orientations/<int:pk>/<str:action>/", views.referral_action, name="referral_action"),
    path("commission/", views.referral_queue, name="referral_queue"),
    path("commission/<int:pk>/", views.referral_decide, name="referral_decide"),
    path("ateliers/", views.workshop_list, name="workshop_list"),
    path("ateliers/<int:pk>/", views.workshop_detail, name="workshop_detail"),
]
