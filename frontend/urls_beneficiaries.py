"""Pages of the beneficiaries area."""

urlpatterns: list = []
