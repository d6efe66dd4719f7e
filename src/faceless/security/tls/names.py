"""The names a development certificate is for, validated once for the leaf and the CA.

Split from :mod:`faceless.security.tls.certs`; its module docstring says why the CA is
name-constrained to exactly these names.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509

from faceless.security.tls import TlsError

DEFAULT_DNS_NAMES = ("localhost",)
DEFAULT_IPS = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
# Loopback as a whole: the leaf names 127.0.0.1, but any 127/8 address is still local.
DEFAULT_IP_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?:\*\.)?(?:{_LABEL}\.)*{_LABEL}$")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Names:
    """Subject alternative names, validated: DNS names (lower-case, ASCII) and IPs."""

    dns: tuple[str, ...]
    ips: tuple[IPAddress, ...]

    @classmethod
    def parse(cls, extra: Iterable[str] = ()) -> Names:
        dns = list(DEFAULT_DNS_NAMES)
        ips: list[IPAddress] = list(DEFAULT_IPS)
        for raw in extra:
            name = raw.strip().lower().rstrip(".")
            try:
                ip = ipaddress.ip_address(name.strip("[]"))
            except ValueError:
                if len(name) > 253 or not _HOSTNAME.match(name):
                    raise TlsError(f"--name {raw!r} is not a host name or IP address") from None
                if name not in dns:
                    dns.append(name)
            else:
                if ip not in ips:
                    ips.append(ip)
        return cls(tuple(dns), tuple(ips))

    def san(self) -> x509.SubjectAlternativeName:
        general: list[x509.GeneralName] = [x509.DNSName(n) for n in self.dns]
        general += [x509.IPAddress(ip) for ip in self.ips]
        return x509.SubjectAlternativeName(general)

    def constraints(self) -> x509.NameConstraints:
        # "*.example.test" is permitted by the subtree "example.test".
        domains = dict.fromkeys(n.removeprefix("*.") for n in self.dns)
        networks = list(DEFAULT_IP_NETWORKS)
        networks += [
            ipaddress.ip_network(ip)
            for ip in self.ips
            if not any(ip in net for net in DEFAULT_IP_NETWORKS)
        ]
        permitted: list[x509.GeneralName] = [x509.DNSName(d) for d in domains]
        permitted += [x509.IPAddress(net) for net in networks]
        return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None)

    @classmethod
    def from_certificate(cls, cert: x509.Certificate) -> Names:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        ips = [
            ip
            for ip in san.get_values_for_type(x509.IPAddress)
            if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address)
        ]
        return cls(tuple(san.get_values_for_type(x509.DNSName)), tuple(ips))
