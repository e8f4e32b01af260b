"""Photos of an Open311 request: a `media_url` fetched with care, or a `media` upload; both checked.

The server must never become a tool for reaching addresses a client could not reach itself (SSRF).
So fetching is off unless OPEN311_MEDIA_HOSTS lists the hosts images may come from, and then:
only http(s) on a listed host; the name is resolved once and the connection made to that address
(no second lookup an attacker's DNS could answer differently); an address that is not public
(private, loopback, link-local, reserved) is refused unless that address itself is on the list;
redirects only to the same host, and checked again; 5 s to connect and per read, 15 s in all;
at most 10 MB, read in pieces and stopped there; and Pillow must be able to read the result.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from werkzeug.datastructures import FileStorage

from bot.open311.render import Open311Error
from models.photos import MAX_PHOTO_BYTES, image_type

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 5.0
TOTAL_TIMEOUT_S = 15.0
MAX_REDIRECTS = 3
CHUNK = 64 * 1024
REDIRECTS = (301, 302, 303, 307, 308)
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class Media:
    data: bytes
    content_type: str


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_image(data: bytes, what: str) -> Media:
    if len(data) > MAX_PHOTO_BYTES:
        raise Open311Error(400, f"{what} is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    content_type = image_type(data)
    if content_type is None:
        raise Open311Error(400, f"{what} is not an image (JPEG, PNG, GIF or WebP)")
    return Media(data, content_type)


def uploaded(files: Iterable[FileStorage]) -> list[Media]:
    """The `media` files of a multipart POST, each read to at most one byte past the limit."""
    found = []
    for file in files:
        data = file.stream.read(MAX_PHOTO_BYTES + 1)
        if not data and not file.filename:
            continue  # an empty file field: nothing sent
        found.append(checked_image(data, "media"))
    return found


def fetch(url: str, allowed_hosts: frozenset[str], resolver: Resolver = resolve) -> Media:
    """The image at `url`, or Open311Error(400) saying why not."""
    if not allowed_hosts:
        raise Open311Error(
            400, "this server does not fetch media_url; upload the photo as the multipart field media"
        )
    started = time.monotonic()
    for _ in range(MAX_REDIRECTS + 1):
        target = _target(url, allowed_hosts, resolver)
        pool, response = _get(target)
        try:
            if response.status in REDIRECTS:
                location = response.headers.get("Location", "")
                if not location:
                    raise Open311Error(400, f"media_url answered HTTP {response.status} without a Location")
                url = urljoin(url, location)
                try:
                    next_host = (urlsplit(url).hostname or "").lower()
                except ValueError:
                    next_host = ""
                if next_host != target.host:  # checked again (address and all) on the next round
                    raise Open311Error(400, "media_url redirects to another host")
                continue
            if response.status != 200:
                raise Open311Error(400, f"media_url answered HTTP {response.status}")
            return checked_image(_read(response, started), "media_url")
        finally:
            response.release_conn()
            pool.close()
    raise Open311Error(400, "media_url redirects too often")


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written, lower case
    port: int
    address: str  # the one address connected to
    path: str  # with its query


def _target(url: str, allowed_hosts: frozenset[str], resolver: Resolver) -> Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Open311Error(400, "media_url is not a URL") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        raise Open311Error(400, "media_url must be an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise Open311Error(400, "media_url may not carry a user name or password")
    if host not in allowed_hosts:
        raise Open311Error(400, f"media_url host {host[:100]} is not on this server's list of allowed hosts")
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = [_address(host)] if _is_address(host) else [_address(a) for a in resolver(host, port)]
    except (OSError, UnicodeError, ValueError):
        raise Open311Error(400, f"media_url host {host[:100]} cannot be resolved") from None
    if not addresses:
        raise Open311Error(400, f"media_url host {host[:100]} cannot be resolved")
    for address in addresses:
        # A listed name that resolves to an inner address is refused: the list names hosts, and only
        # an address written on it opens the way to a private one (DNS can be made to point anywhere).
        if not address.is_global and str(address) not in allowed_hosts:
            log.warning("open311 media_url refused: %s resolves to non-public %s", host, address)
            raise Open311Error(400, f"media_url host {host[:100]} resolves to a private or local address")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, str(addresses[0]), path)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _address(text: str) -> IpAddress:
    address = ipaddress.ip_address(text.split("%")[0])  # a scope (fe80::1%eth0) is no part of it
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address


def _get(target: Target) -> tuple[urllib3.HTTPConnectionPool, Any]:
    default_port = 443 if target.scheme == "https" else 80
    name = f"[{target.host}]" if ":" in target.host else target.host  # an IPv6 address in brackets
    host_header = name if target.port == default_port else f"{name}:{target.port}"
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S)
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        # Connected to the address, but the certificate is checked against the name (and SNI sent).
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            assert_hostname=target.host,
            server_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout, retries=False)
    headers = {
        "Host": host_header,
        "User-Agent": "Rongtook-Open311/2",
        "Accept": "image/*",
        "Accept-Encoding": "identity",  # counted as sent: no decompression bomb
    }
    try:
        return pool, pool.urlopen(
            "GET",
            target.path,
            headers=headers,
            redirect=False,
            preload_content=False,
            decode_content=False,
            assert_same_host=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        pool.close()
        log.info("open311 media_url %s unreachable: %s", target.host, type(exc).__name__)
        raise Open311Error(400, f"media_url could not be fetched ({type(exc).__name__})") from None


def _read(response: Any, started: float) -> bytes:
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > MAX_PHOTO_BYTES:
        raise Open311Error(400, f"media_url is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    data = bytearray()
    try:
        while True:
            chunk = response.read(CHUNK)
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_PHOTO_BYTES:
                raise Open311Error(400, f"media_url is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
            if time.monotonic() - started > TOTAL_TIMEOUT_S:
                raise Open311Error(400, f"media_url took longer than {TOTAL_TIMEOUT_S:g} s")
    except urllib3.exceptions.HTTPError as exc:
        raise Open311Error(400, f"media_url could not be read ({type(exc).__name__})") from None
    return bytes(data)
