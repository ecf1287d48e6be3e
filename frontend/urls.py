"""Pages for people. Each area keeps its routes in its own module."""
from django.urls import include, path

from .views import core, jobs

urlpatterns = [
    path("", core.home, name="home"),
    path("connexion/", core.login, name="login"),
    path("deconnexion/", core.logout, name="logout"),
    path("mot-de-passe/", core.password_change, name="password_change"),
]

urlpatterns += [
    path("", include("frontend.urls_beneficiaries")),
    path("", include("frontend.urls_stock")),
    path("", include("frontend.urls_counter")),
    path("", include("frontend.urls_jobs")),
    path("", include("frontend.urls_till")),
]

core.HOME_BLOCKS.append(jobs.home_notifications_block)
