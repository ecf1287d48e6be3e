"""API views of the wiring: a token for API clients, and who am I."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.views import APIView

from .auth import check_login_allowed, clear_failures, client_ip
from .permissions import CAPABILITIES, has_capability, roles_of


class ObtainToken(APIView):
    """Exchange a username and password for an API token (throttled like the login page)."""

    capability = "public"
    authentication_classes: list = []
    serializer_class = AuthTokenSerializer

    @extend_schema(
        request=AuthTokenSerializer,
        responses=inline_serializer("Token", {"token": serializers.CharField()}),
    )
    def post(self, request):
        username = str(request.data.get("username", ""))
        check_login_allowed(username, client_ip(request))
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        clear_failures(username)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


obtain_token = ObtainToken.as_view()


class Me(APIView):
    """The signed-in user, its roles and capabilities (what the pages may show)."""

    capability = "account.use"

    @extend_schema(responses=inline_serializer("Me", {
        "username": serializers.CharField(),
        "roles": serializers.ListField(child=serializers.CharField()),
        "capabilities": serializers.ListField(child=serializers.CharField()),
        "partner": serializers.IntegerField(allow_null=True),
    }))
    def get(self, request):
        user = request.user
        return Response({
            "username": user.get_username(),
            "roles": sorted(roles_of(user)),
            "capabilities": sorted(c for c in CAPABILITIES if has_capability(user, c)),
            "partner": user.partner_id,
        })


me = Me.as_view()
