"""The Vault KV v2 backend, through hvac, against a real OpenBao dev server.

OpenBao speaks the Vault HTTP API, so these tests exercise the protocol the backend
meets in production: KV v2 versions, policies, token TTLs and renewal, AppRole logins
with single-use secret ids, TLS with a private CA. One server serves the module; the
tests that stop, freeze or TLS-enable a server start their own.
"""

from __future__ import annotations

import pickle
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import hvac
import pytest

from faceless.secrets.base import Secret
from faceless.secrets.errors import SafeSecretError, SecretsConfigError
from faceless.secrets.vault import VaultBackend, VaultError
from faceless.settings import VaultSettings
from tests.fixtures.openbao import OpenBaoServer

# Secret values carry this marker; no repr, str or error message may contain it.
MARK = "s3cr3t-MARKER"
READER = "faceless-reader"  # may read every secret/data/faceless-* path
TOKEN_TTL = 6  # seconds; short so the renewal window arrives during the test

MakeBackend = Callable[..., VaultBackend]


@pytest.fixture(scope="module")
def bao() -> Iterator[OpenBaoServer]:
    with OpenBaoServer() as server:
        root = server.client()
        root.sys.create_or_update_policy(
            name=READER, policy='path "secret/data/faceless-*" { capabilities = ["read"] }'
        )
        root.sys.create_or_update_policy(
            name="elsewhere", policy='path "secret/data/elsewhere" { capabilities = ["read"] }'
        )
        root.sys.enable_auth_method(method_type="approle")
        yield server


@pytest.fixture(autouse=True)
def no_vault_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT", "VAULT_CAPATH", "VAULT_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def root(bao: OpenBaoServer) -> hvac.Client:
    return bao.client()


@pytest.fixture
def make_backend(bao: OpenBaoServer) -> MakeBackend:
    def make(path: str, **kwargs: Any) -> VaultBackend:
        kwargs.setdefault("token", None if "role_id" in kwargs else bao.root_token)
        return VaultBackend(addr=bao.addr, path=path, timeout=3.0, **kwargs)

    return make


def unique_path() -> str:
    return f"faceless-{uuid.uuid4().hex[:12]}"


def put(client: hvac.Client, path: str, data: dict[str, Any]) -> int:
    """Write a new KV v2 version; returns its version number."""
    reply = client.secrets.kv.v2.create_or_update_secret(path=path, secret=data)
    return int(reply["data"]["version"])


def child_token(root: hvac.Client, *policies: str, **kwargs: Any) -> str:
    reply = root.auth.token.create(policies=list(policies), **kwargs)
    return str(reply["auth"]["client_token"])


def approle(root: hvac.Client, *, num_uses: int, **role: Any) -> tuple[str, str]:
    """A fresh AppRole reading faceless-*; returns (role id, secret id)."""
    name = f"faceless-{uuid.uuid4().hex[:8]}"
    root.auth.approle.create_or_update_approle(
        role_name=name, token_policies=[READER], secret_id_num_uses=num_uses, **role
    )
    role_id = root.auth.approle.read_role_id(role_name=name)["data"]["role_id"]
    secret_id = root.auth.approle.generate_secret_id(role_name=name)["data"]["secret_id"]
    return str(role_id), str(secret_id)


def token_ttl(root: hvac.Client, token: str) -> int:
    return int(root.auth.token.lookup(token)["data"]["ttl"])


# -- reading -----------------------------------------------------------------------


def test_reads_several_names_from_one_version(root: hvac.Client, make_backend: MakeBackend) -> None:
    path = unique_path()
    put(root, path, {"SECRET_KEY": f"{MARK}-jwt", "DATA_ENCRYPTION_KEY": f"{MARK}-dek"})
    version = put(root, path, {"SECRET_KEY": f"{MARK}-jwt2", "DATA_ENCRYPTION_KEY": f"{MARK}-dek2"})
    backend = make_backend(path)

    jwt = backend.get("SECRET_KEY")
    dek = backend.get("DATA_ENCRYPTION_KEY")

    assert jwt is not None
    assert dek is not None
    assert jwt.reveal() == f"{MARK}-jwt2"
    assert dek.reveal() == f"{MARK}-dek2"
    assert (jwt.name, jwt.backend, jwt.version) == ("SECRET_KEY", "vault", str(version))
    assert dek.version == jwt.version == "2"


def test_snapshot_is_kept_until_reload(root: hvac.Client, make_backend: MakeBackend) -> None:
    path = unique_path()
    first = put(root, path, {"SECRET_KEY": f"{MARK}-old", "OTHER": "x"})
    backend = make_backend(path)
    old = backend.get("SECRET_KEY")
    assert old is not None
    assert old.version == str(first)

    second = put(root, path, {"SECRET_KEY": f"{MARK}-new", "OTHER": "y"})
    # Even a deleted path does not matter: the names were read in one request.
    root.secrets.kv.v2.delete_metadata_and_all_versions(path=path)
    put(root, path, {"SECRET_KEY": f"{MARK}-newer"})
    still = backend.get("SECRET_KEY")
    other = backend.get("OTHER")
    assert still is not None
    assert other is not None
    assert (still.reveal(), still.version) == (f"{MARK}-old", str(first))
    assert other.reveal() == "x"
    assert second == 2

    backend.reload()
    fresh = backend.get("SECRET_KEY")
    assert fresh is not None
    assert fresh.reveal() == f"{MARK}-newer"
    assert fresh.version == "1"  # the metadata was deleted, so versions restarted
    assert backend.get("OTHER") is None

    newest = put(root, path, {"SECRET_KEY": f"{MARK}-newest"})
    backend.reload()
    latest = backend.get("SECRET_KEY")
    assert latest is not None
    assert (latest.reveal(), latest.version) == (f"{MARK}-newest", str(newest))


def test_missing_path_key_or_deleted_version_is_none(
    root: hvac.Client, make_backend: MakeBackend
) -> None:
    path = unique_path()
    assert make_backend(path).get("SECRET_KEY") is None

    put(root, path, {"SECRET_KEY": f"{MARK}-v", "EMPTY": ""})
    backend = make_backend(path)
    assert backend.get("NOT_THERE") is None
    assert backend.get("EMPTY") is None
    assert backend.get("SECRET_KEY") is not None

    root.secrets.kv.v2.delete_latest_version_of_secret(path=path)
    backend.reload()
    assert backend.get("SECRET_KEY") is None


def test_non_string_value_is_an_error_without_the_value(
    root: hvac.Client, make_backend: MakeBackend
) -> None:
    path = unique_path()
    put(root, path, {"PORT": 5432, "NESTED": {"k": MARK}})
    backend = make_backend(path)
    for name in ("PORT", "NESTED"):
        with pytest.raises(VaultError, match=f"{name} in secret/{path} is not a string") as info:
            backend.get(name)
        assert MARK not in str(info.value)
        assert "5432" not in str(info.value)


# -- authorization -------------------------------------------------------------------


def test_policy_not_covering_the_path_is_permission_denied(
    bao: OpenBaoServer, root: hvac.Client, make_backend: MakeBackend
) -> None:
    path = unique_path()
    put(root, path, {"SECRET_KEY": f"{MARK}-v"})
    token = child_token(root, "elsewhere")
    backend = make_backend(path, token=token)

    with pytest.raises(VaultError) as info:
        backend.get("SECRET_KEY")

    error = info.value
    assert isinstance(error, SafeSecretError)  # the manager shows its message as is
    assert str(error) == f"vault: permission denied reading secret/{path}"
    assert error.reason == "permission denied"
    assert error.__cause__ is None
    assert error.__suppress_context__
    assert token not in str(error)
    assert backend.health() == "permission denied"
    # The same path is fine for a token whose policy covers it.
    assert make_backend(path, token=child_token(root, READER)).health() == "ok"
    assert make_backend(path).health() == "ok"  # root


# -- AppRole and token lifetime ------------------------------------------------------


def test_approle_login_and_single_use_secret_id(
    root: hvac.Client, make_backend: MakeBackend
) -> None:
    path = unique_path()
    put(root, path, {"SECRET_KEY": f"{MARK}-v"})
    role_id, secret_id = approle(root, num_uses=1)

    first = make_backend(path, role_id=role_id, secret_id=secret_id)
    secret = first.get("SECRET_KEY")
    assert secret is not None
    assert secret.reveal() == f"{MARK}-v"
    assert first.auth_method == "approle"
    assert first.health() == "ok"  # the backend's token, not a second login

    second = make_backend(path, role_id=role_id, secret_id=secret_id)
    with pytest.raises(VaultError, match=r"^vault: AppRole login failed: ") as info:
        second.get("SECRET_KEY")
    assert secret_id not in str(info.value)
    assert role_id not in str(info.value)
    assert second.health().startswith("AppRole login failed")


def test_token_is_renewed_or_replaced_before_it_expires(
    root: hvac.Client, make_backend: MakeBackend
) -> None:
    """One wait past two thirds of the TTL serves three cases.

    A renewable token is renewed; an AppRole token capped by its max TTL cannot be
    extended, so the backend logs in again; with a single-use secret id that second
    login fails and the error surfaces.
    """
    path = unique_path()
    put(root, path, {"SECRET_KEY": f"{MARK}-v"})
    ttl = f"{TOKEN_TTL}s"
    token = child_token(root, READER, ttl=ttl, explicit_max_ttl="10m", renewable=True)
    renewing = make_backend(path, token=token)
    twice = approle(root, num_uses=2, token_ttl=ttl, token_max_ttl=ttl)
    relogging = make_backend(path, role_id=twice[0], secret_id=twice[1])
    once = approle(root, num_uses=1, token_ttl=ttl, token_max_ttl=ttl)
    stuck = make_backend(path, role_id=once[0], secret_id=once[1])
    for backend in (renewing, relogging, stuck):
        assert backend.get("SECRET_KEY") is not None
        backend.reload()

    time.sleep(TOKEN_TTL * 0.75)  # past the renewal point (a third left), before expiry
    assert token_ttl(root, token) < TOKEN_TTL / 2

    assert renewing.get("SECRET_KEY") is not None
    assert token_ttl(root, token) > TOKEN_TTL / 2  # renew_self put the TTL back up

    assert relogging.get("SECRET_KEY") is not None
    # The second login used up the secret id: nobody can log in with it again.
    with pytest.raises(VaultError, match="AppRole login failed"):
        make_backend(path, role_id=twice[0], secret_id=twice[1]).get("SECRET_KEY")

    with pytest.raises(VaultError, match="AppRole login failed"):
        stuck.get("SECRET_KEY")


# -- failures of the server ----------------------------------------------------------


def test_server_frozen_sealed_then_stopped_mid_run() -> None:
    with OpenBaoServer() as server:
        path = unique_path()
        put(server.client(), path, {"SECRET_KEY": f"{MARK}-v"})
        backend = VaultBackend(addr=server.addr, path=path, token=server.root_token, timeout=1.0)
        assert backend.get("SECRET_KEY") is not None
        assert backend.health() == "ok"

        server.pause()  # accepts connections, answers nothing: only the timeout ends it
        try:
            backend.reload()
            with pytest.raises(VaultError, match="unreachable: timeout") as info:
                backend.get("SECRET_KEY")
            assert info.value.reason.startswith("unreachable")
            assert backend.health().startswith("unreachable: timeout")
        finally:
            server.resume()

        backend.reload()
        assert backend.get("SECRET_KEY") is not None  # recovers once the server answers

        server.client().sys.seal()
        backend.reload()
        with pytest.raises(VaultError) as info:
            backend.get("SECRET_KEY")
        assert str(info.value) == f"vault: sealed reading secret/{path}"
        assert backend.health() == "sealed"

        server.stop()

        backend.reload()
        with pytest.raises(VaultError) as info:
            backend.get("SECRET_KEY")
        assert str(info.value) == f"vault: unreachable: ConnectionError reading secret/{path}"
        assert backend.health() == "unreachable: ConnectionError"


# -- TLS -----------------------------------------------------------------------------


def test_tls_verifies_against_the_ca_file_and_never_downgrades() -> None:
    with OpenBaoServer(tls=True) as server:
        assert server.addr.startswith("https://")
        assert server.ca_file is not None
        path = unique_path()
        put(server.client(), path, {"SECRET_KEY": f"{MARK}-v"})

        pinned = VaultBackend(
            addr=server.addr, path=path, token=server.root_token, ca_file=server.ca_file
        )
        assert pinned.tls_verify == str(server.ca_file)
        assert pinned.health() == "ok"
        assert pinned.get("SECRET_KEY") is not None

        # Without the CA the dev certificate is not trusted: an error, not plain text.
        system_cas = VaultBackend(addr=server.addr, path=path, token=server.root_token)
        assert system_cas.tls_verify is True
        with pytest.raises(VaultError, match="TLS verification failed"):
            system_cas.get("SECRET_KEY")
        assert system_cas.health() == "TLS verification failed"

        # A CA file with an http:// address means TLS was expected: refuse to start.
        http_addr = server.addr.replace("https://", "http://")
        with pytest.raises(SecretsConfigError, match="VAULT_CACERT is set but VAULT_ADDR"):
            VaultBackend(addr=http_addr, token=server.root_token, ca_file=server.ca_file)


def test_configuration_is_checked_when_built(bao: OpenBaoServer) -> None:
    token = bao.root_token
    with pytest.raises(SecretsConfigError, match="must be https:// unless"):
        VaultBackend(addr="http://vault.internal:8200", token=token)
    remote = VaultBackend(addr="http://vault.internal:8200", token=token, allow_plain_http=True)
    assert remote.tls_verify is True  # plain http allowed by name; verification still on
    with pytest.raises(SecretsConfigError, match="must not contain credentials"):
        VaultBackend(addr="https://user:pw@vault.internal", token=token)
    with pytest.raises(SecretsConfigError, match="not both"):
        VaultBackend(addr=bao.addr, token=token, role_id="r", secret_id="s")
    with pytest.raises(SecretsConfigError, match="needs both"):
        VaultBackend(addr=bao.addr, secret_id="s")
    with pytest.raises(SecretsConfigError, match="needs VAULT_TOKEN"):
        VaultBackend(addr=bao.addr)
    with pytest.raises(SecretsConfigError, match="is not a file"):
        VaultBackend(addr="https://vault.internal", token=token, ca_file="/nonexistent/ca.pem")


def test_from_settings(bao: OpenBaoServer, root: hvac.Client) -> None:
    path = unique_path()
    put(root, path, {"SECRET_KEY": f"{MARK}-v"})
    role_id, secret_id = approle(root, num_uses=1)
    settings = VaultSettings(
        VAULT_ADDR=bao.addr, VAULT_PATH=path, VAULT_ROLE_ID=role_id, VAULT_TIMEOUT=2
    )

    backend = VaultBackend.from_settings(settings, token=None, secret_id=secret_id)
    assert (backend.location, backend.timeout, backend.auth_method) == (
        f"secret/{path}",
        2.0,
        "approle",
    )
    assert backend.get("SECRET_KEY") is not None

    by_token = VaultBackend.from_settings(settings, token=bao.root_token, secret_id=None)
    assert by_token.auth_method == "token"
    with pytest.raises(SecretsConfigError, match="VAULT_ADDR is not set"):
        VaultBackend.from_settings(VaultSettings(), token=bao.root_token, secret_id=None)


# -- nothing secret in text ----------------------------------------------------------


def test_repr_and_str_never_show_values_or_credentials(
    root: hvac.Client, make_backend: MakeBackend, bao: OpenBaoServer
) -> None:
    path = unique_path()
    put(root, path, {"SECRET_KEY": f"{MARK}-v"})
    role_id, secret_id = approle(root, num_uses=1)
    by_token = make_backend(path)
    by_approle = make_backend(path, role_id=role_id, secret_id=secret_id)
    secret = by_approle.get("SECRET_KEY")
    assert isinstance(secret, Secret)

    texts = [repr(by_token), str(by_token), repr(by_approle), str(by_approle)]
    texts += [repr(secret), str(secret), f"{secret}", repr(vars(by_token)), repr(vars(by_approle))]
    for text in texts:
        assert MARK not in text
        assert bao.root_token not in text
        assert secret_id not in text
    assert repr(by_token) == f"<VaultBackend {bao.addr} secret/{path} auth=token namespace=None>"
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(by_token)
