"""API routes of beneficiaries (included under /api/v1/)."""

from rest_framework.routers import SimpleRouter

from . import api

# Path converters rather than regexes: cleaner URLs, and the permission walker can fill them.
router = SimpleRouter(use_regex_path=False)
router.register("households", api.HouseholdViewSet, basename="household")
router.register("members", api.MemberViewSet, basename="member")
router.register("referrals", api.ReferralViewSet, basename="referral")
router.register("entitlements", api.EntitlementViewSet, basename="entitlement")
router.register("goals", api.GoalViewSet, basename="goal")
router.register("workshops", api.WorkshopViewSet, basename="workshop")
router.register("cards", api.CardViewSet, basename="card")

urlpatterns = router.urls
