"""/api/v1/auth/: obtain a token (username + password), list and revoke one's own tokens.

Obtaining goes through ``django.contrib.auth.authenticate`` with the Django request, so the
lock-out (django-axes, ``core.lockout``) counts and refuses it exactly like the admin login:
a locked account or IP gets 429, even with the right password.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from core.api.schema import ErrorResponseSerializer
from core.api.serializers import ScopedModelSerializer
from core.lockout import lockout_message
from core.models import ApiToken
from core.tokens import token_issue, token_revoke, tokens_of


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label="用户名", max_length=150)
    password = serializers.CharField(label="密码", max_length=128, style={"input_type": "password"})
    name = serializers.CharField(label="令牌名称", max_length=100, required=False, default="")


class ApiTokenSerializer(ScopedModelSerializer):
    current = serializers.SerializerMethodField(help_text="是否就是本次请求所用的令牌")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "current"]
        read_only_fields = fields

    def get_current(self, obj) -> bool:
        auth = getattr(self.context.get("request"), "auth", None)
        return isinstance(auth, ApiToken) and auth.pk == obj.pk


@extend_schema(
    request=TokenRequestSerializer,
    responses={
        200: inline_serializer(
            "TokenResponse",
            {
                "token": serializers.CharField(),
                "expires_at": serializers.DateTimeField(),
                "id": serializers.IntegerField(),
            },
        ),
        429: OpenApiResponse(ErrorResponseSerializer, description="账号或 IP 已被暂时锁定"),
    },
    summary="用用户名和密码换取 API 令牌（有效期见 API_TOKEN_TTL_DAYS，默认 30 天）",
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def obtain_token(request):
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    django_request = request._request
    user = authenticate(django_request, username=data["username"], password=data["password"])
    if getattr(django_request, "axes_locked_out", False):
        return Response(
            {
                "status": 429,
                "code": "locked",
                "detail": lockout_message(django_request),
                "errors": {},
            },
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    if user is None or not user.is_active:
        raise serializers.ValidationError({"non_field_errors": ["用户名或密码不正确。"]})
    token, key = token_issue(user=user, name=data["name"])
    return Response({"token": key, "expires_at": token.expires_at, "id": token.pk})


class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """本人的 API 令牌：列出、吊销（DELETE）。管理员在后台“API 令牌”页管理所有人的令牌。"""

    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.none()  # for the schema; requests use get_queryset
    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return tokens_of(self.request.user)

    def perform_destroy(self, instance):
        token_revoke(actor=self.request.user, token=instance)
