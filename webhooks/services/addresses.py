"""Which URLs a webhook may point at: http(s) only, and never a private, loopback,
link-local or otherwise internal address (SSRF), checked when the endpoint is saved and again
at every delivery after DNS resolution, unless ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES``."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(ValueError):
    """The message is shown to the user (Chinese)."""


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def check_url(url: str, *, resolve: bool = True) -> list[str]:
    """Refuse (``AddressRefused``) a URL that is not http(s) or whose host resolves to an
    internal address; returns the resolved addresses."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused("推送地址格式错误。") from exc
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("推送地址只能是 http 或 https。")
    host = parts.hostname
    if not host:
        raise AddressRefused("推送地址缺少主机名。")
    if parts.username or parts.password:
        raise AddressRefused("推送地址不能包含用户名或密码，请使用签名密钥。")
    allow = settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES
    if not resolve:
        return []
    try:
        infos = socket.getaddrinfo(host, port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError) as exc:
        raise AddressRefused(f"无法解析主机名“{host}”。") from exc
    addresses = sorted({info[4][0] for info in infos})
    if not allow:
        for text in addresses:
            if _forbidden(ipaddress.ip_address(text.split("%", 1)[0])):
                raise AddressRefused(
                    f"推送地址“{host}”指向内网、本机或保留地址（{text}），已拒绝。"
                )
    return addresses
