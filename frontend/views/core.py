"""Sign-in, sign-out, password change and the home page."""
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.urls import reverse_lazy

from grocery.auth import TooManyAttempts, check_login_allowed, clear_failures, client_ip
from grocery.permissions import requires, roles_of


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username") or ""
        try:
            check_login_allowed(username, client_ip(self.request))
        except TooManyAttempts as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        cleaned = super().clean()
        clear_failures(username)
        return cleaned


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        messages.success(self.request, "Votre mot de passe a été modifié.")
        return super().form_valid(form)


login = LoginView.as_view()
login.capability = "public"
logout = auth_views.LogoutView.as_view()
logout.capability = "public"
password_change = requires("account.use")(PasswordChangeView.as_view())

ROLE_LABELS = {
    "volunteer": "Bénévole (caisse)",
    "ccas_staff": "Travailleur social (CCAS)",
    "partner": "Partenaire",
    "manager": "Responsable de l'épicerie",
}


@requires("account.use")
def home(request):
    roles = [ROLE_LABELS[role.value] for role in sorted(roles_of(request.user))]
    if request.user.is_superuser:
        roles.append("Administrateur")
    blocks = []
    for hook in HOME_BLOCKS:
        block = hook(request)
        if block:
            blocks.append(block)
    return render(request, "frontend/home.html", {"roles": roles, "blocks": blocks})


#: Functions (request) -> {"title", "template", ...context} | None, each adding a block to the
#: home page (notifications, expiry alerts…). Apps register theirs in frontend.urls.
HOME_BLOCKS: list = []
