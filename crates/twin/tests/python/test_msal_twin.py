"""Microsoft's own client libraries, unmodified, against the Graph twin over HTTPS (issue 13).

MSAL for Python and azure-identity obtain tokens with a client secret and with a certificate;
msgraph-sdk reads and writes users, domains, the organization and the synchronisation settings,
and rides out a 429 with its own retry handler. Each library is configured as a production script
would be, except for the authority (the twin's HTTPS root instead of login.microsoftonline.com), the
Graph root, and the documented switch that stops MSAL asking login.microsoftonline.com to vouch for
a host it does not know (`instance_discovery=False`, `disable_instance_discovery=True`). The twin's
certificate is trusted through its throwaway CA only, by `REQUESTS_CA_BUNDLE` (requests: MSAL,
azure-identity) and `SSL_CERT_FILE` (httpx: msgraph-sdk); verification is never switched off.

The Rust test `microsoft_clients` (crates/twin/tests/it/microsoft_clients.rs) starts the twins, writes
the CA and the certificate files, and runs this file with the virtual environment that
scripts/microsoft-clients.sh makes from requirements.txt; it sets the `TWIN_*` variables below.
"""

import asyncio
import base64
import binascii
import contextlib
import json
import os
import ssl

import httpx
import msal
import pytest
import requests
from azure.identity import CertificateCredential, ClientSecretCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.user import User
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import GraphClientFactory
from msgraph_core.authentication import AzureIdentityAuthenticationProvider
from msgraph_core.tasks.page_iterator import PageIterator

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(
            f"{name} is not set: run this file through `cargo test -p anchorsync-twin --test it "
            "microsoft_clients` (scripts/test.sh does)"
        )
    return value


AUTHORITY = env("TWIN_AUTHORITY")  # https://127.0.0.1:PORT
GRAPH = env("TWIN_GRAPH")  # https://127.0.0.1:PORT/v1.0
THROTTLED_AUTHORITY = env("TWIN_THROTTLED_AUTHORITY")
THROTTLED_GRAPH = env("TWIN_THROTTLED_GRAPH")
TENANT = env("TWIN_TENANT_ID")
TENANT_DOMAIN = env("TWIN_TENANT_DOMAIN")
CLIENT_ID = env("TWIN_CLIENT_ID")
CLIENT_SECRET = env("TWIN_CLIENT_SECRET")
CERT_CLIENT_ID = env("TWIN_CERT_CLIENT_ID")
CERT_FILE = env("TWIN_CERT_FILE")  # the registered certificate and its private key, PEM
USER_COUNT = int(env("TWIN_USER_COUNT"))
ALICE = env("TWIN_ALICE_ID")
BOB = env("TWIN_BOB_ID")
OBRIEN = env("TWIN_OBRIEN_ID")
OBRIEN_UPN = "o'brien@contoso.com"
OBRIEN_ANCHOR = "+D9q4TtdW06deixqiw5/EQ=="
# The CA is trusted through the environment, as a script's user would do it.
assert os.environ["REQUESTS_CA_BUNDLE"] == os.environ["SSL_CERT_FILE"]


def certificate_and_key():
    with open(CERT_FILE, "rb") as file:
        pem = file.read()
    certificate = x509.load_pem_x509_certificate(pem)
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    key = serialization.load_pem_private_key(pem, password=None)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return certificate, certificate_pem, key_pem


class RecordingSession(requests.Session):
    """MSAL's HTTP client, keeping what it posted to the token endpoint."""

    def __init__(self):
        super().__init__()
        self.token_forms = []

    def post(self, url, data=None, **kwargs):
        if url.endswith("/oauth2/v2.0/token"):
            self.token_forms.append(dict(data or {}))
        return super().post(url, data=data, **kwargs)


def jws_header(assertion):
    if isinstance(assertion, bytes):  # MSAL posts it as bytes
        assertion = assertion.decode()
    header = assertion.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))


def msal_app(client_id, credential, authority=None, **kwargs):
    session = RecordingSession()
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=authority or f"{AUTHORITY}/{TENANT}",
        # Documented switch: otherwise MSAL asks login.microsoftonline.com about this host.
        instance_discovery=kwargs.pop("instance_discovery", False),
        http_client=session,
        **kwargs,
    )
    return app, session


def graph_answers(access_token):
    response = requests.get(
        f"{GRAPH}/users?$top=1", headers={"Authorization": f"Bearer {access_token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


# ---- MSAL ----


def test_msal_client_secret():
    app, _ = msal_app(CLIENT_ID, CLIENT_SECRET)
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    assert len(graph_answers(result["access_token"])["value"]) == 1


def test_msal_asks_the_twin_for_instance_discovery_and_names_the_tenant_by_domain():
    app, _ = msal_app(
        CLIENT_ID,
        CLIENT_SECRET,
        authority=f"{AUTHORITY}/{TENANT_DOMAIN}",
        instance_discovery=f"{AUTHORITY}/common/discovery/instance",
    )
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert "access_token" in result, result


def test_msal_certificate_sha256_ps256():
    _, certificate_pem, key_pem = certificate_and_key()
    # MSAL computes the SHA-256 thumbprint from the certificate and signs PS256.
    app, session = msal_app(
        CERT_CLIENT_ID, {"private_key": key_pem, "public_certificate": certificate_pem}
    )
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert "access_token" in result, result
    header = jws_header(session.token_forms[-1]["client_assertion"])
    assert header["alg"] == "PS256"
    assert header["x5t#S256"].endswith("="), header  # base64url with padding
    graph_answers(result["access_token"])


def test_msal_certificate_sha1_thumbprint_rs256():
    certificate, _, key_pem = certificate_and_key()
    thumbprint = binascii.hexlify(certificate.fingerprint(hashes.SHA1())).decode()
    app, session = msal_app(CERT_CLIENT_ID, {"private_key": key_pem, "thumbprint": thumbprint})
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert "access_token" in result, result
    header = jws_header(session.token_forms[-1]["client_assertion"])
    assert header["alg"] == "RS256"
    assert header["x5t"].endswith("="), header


def test_msal_assertion_signed_by_another_key_is_refused():
    _, certificate_pem, _ = certificate_and_key()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    app, _ = msal_app(
        CERT_CLIENT_ID, {"private_key": other_pem, "public_certificate": certificate_pem}
    )
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert "access_token" not in result, result
    assert result["error"] == "invalid_client", result
    assert result["error_codes"] == [700027], result


def test_msal_wrong_secret_is_refused():
    app, _ = msal_app(CLIENT_ID, "not-the-secret")
    result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
    assert result.get("error_codes") == [7000215], result


# ---- azure-identity ----


def test_azure_identity_client_secret():
    credential = ClientSecretCredential(
        TENANT, CLIENT_ID, CLIENT_SECRET, authority=AUTHORITY, disable_instance_discovery=True
    )
    token = credential.get_token(GRAPH_SCOPE)
    graph_answers(token.token)


def test_azure_identity_certificate():
    credential = CertificateCredential(
        TENANT, CERT_CLIENT_ID, certificate_path=CERT_FILE, authority=AUTHORITY,
        disable_instance_discovery=True,
    )
    token = credential.get_token(GRAPH_SCOPE)
    graph_answers(token.token)


def test_azure_identity_async_certificate_pads_every_part_of_its_assertion():
    from azure.identity.aio import CertificateCredential as AsyncCertificateCredential

    async def run():
        async with AsyncCertificateCredential(
            TENANT, CERT_CLIENT_ID, certificate_path=CERT_FILE, authority=AUTHORITY
        ) as credential:
            return await credential.get_token(GRAPH_SCOPE)

    graph_answers(asyncio.run(run()).token)


# ---- msgraph-sdk ----


class RecordingTransport(httpx.AsyncHTTPTransport):
    """The transport under msgraph-sdk's middleware: sees every attempt, retries included."""

    def __init__(self):
        super().__init__(verify=ssl.create_default_context())
        self.statuses = []

    async def handle_async_request(self, request):
        response = await super().handle_async_request(request)
        self.statuses.append((request.method, response.status_code))
        return response


@contextlib.asynccontextmanager
async def graph_client(authority, graph_root, transport=None):
    """A GraphServiceClient as the SDK documents it for another cloud: its credential, an
    authentication provider that may send the token to this host, and the Graph root."""
    credential = AsyncClientSecretCredential(
        TENANT, CLIENT_ID, CLIENT_SECRET, authority=authority
    )
    host = httpx.URL(graph_root).host
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[GRAPH_SCOPE], allowed_hosts=[host]
    )
    http = httpx.AsyncClient(transport=transport) if transport else httpx.AsyncClient()
    http = GraphClientFactory.create_with_default_middleware(client=http)
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = graph_root
    try:
        yield GraphServiceClient(request_adapter=adapter)
    finally:
        await http.aclose()
        await credential.close()


def run(coroutine):
    return asyncio.run(coroutine)


def test_msgraph_lists_every_user_page_by_page():
    async def scenario():
        async with graph_client(AUTHORITY, GRAPH) as client:
            query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                top=100, select=["id", "userPrincipalName"]
            )
            first = await client.users.get(RequestConfiguration(query_parameters=query))
            assert len(first.value) == 100
            assert first.odata_next_link.startswith(f"{GRAPH}/users?"), first.odata_next_link
            ids = []

            def collect(user):
                ids.append(user.id)
                return True

            # The SDK's own page iterator follows @odata.nextLink.
            iterator = PageIterator(first, client.request_adapter)
            await iterator.iterate(collect)
            assert len(ids) == USER_COUNT, len(ids)
            assert len(set(ids)) == USER_COUNT

    run(scenario())


def test_msgraph_gets_users_by_id_and_by_upn():
    async def scenario():
        async with graph_client(AUTHORITY, GRAPH) as client:
            alice = await client.users.by_user_id(ALICE).get()
            assert alice.user_principal_name == "alice@contoso.com"
            obrien = await client.users.by_user_id(OBRIEN_UPN).get()
            assert obrien.id == OBRIEN
            with pytest.raises(ODataError) as missing:
                await client.users.by_user_id("nobody@contoso.com").get()
            assert missing.value.response_status_code == 404
            assert missing.value.error.code == "Request_ResourceNotFound"

    run(scenario())


def test_msgraph_filters_on_an_immutable_id_with_plus_and_slash():
    async def scenario():
        async with graph_client(AUTHORITY, GRAPH) as client:
            config = RequestConfiguration(
                query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                    filter=f"onPremisesImmutableId eq '{OBRIEN_ANCHOR}'",
                    count=True,
                    select=["id", "onPremisesImmutableId"],
                )
            )
            config.headers.add("ConsistencyLevel", "eventual")
            page = await client.users.get(config)
            assert [user.id for user in page.value] == [OBRIEN]
            assert page.value[0].on_premises_immutable_id == OBRIEN_ANCHOR
            assert page.odata_count == 1

    run(scenario())


def test_msgraph_sets_and_clears_an_immutable_id():
    async def scenario():
        async with graph_client(AUTHORITY, GRAPH) as client:
            anchor = "QUxJQ0UrYW5jaG9yLzE="
            await client.users.by_user_id(ALICE).patch(User(on_premises_immutable_id=anchor))
            config = RequestConfiguration(
                query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                    select=["onPremisesImmutableId"]
                )
            )
            user = await client.users.by_user_id(ALICE).get(config)
            assert user.on_premises_immutable_id == anchor
            # Graph clears it only with JSON null; the SDK writes null from additional_data.
            await client.users.by_user_id(ALICE).patch(
                User(additional_data={"onPremisesImmutableId": None})
            )
            user = await client.users.by_user_id(ALICE).get(config)
            assert user.on_premises_immutable_id is None

    run(scenario())


def test_msgraph_is_refused_the_federated_immutable_id_change():
    async def scenario():
        async with graph_client(AUTHORITY, GRAPH) as client:
            with pytest.raises(ODataError) as refused:
                await client.users.by_user_id(BOB).patch(
                    User(on_premises_immutable_id="bmV3LWFuY2hvcg==")
                )
            assert refused.value.response_status_code == 400
            assert refused.value.error.code == "Request_BadRequest"
            assert "federated" in refused.value.error.message.lower(), refused.value.error.message

    run(scenario())


def test_msgraph_reads_domains_organization_and_sync_settings():
    async def scenario():
        async with graph_client(AUTHORITY, GRAPH) as client:
            domains = await client.domains.get()
            by_name = {domain.id: domain for domain in domains.value}
            assert by_name["fabrikam.com"].authentication_type == "Federated"
            assert by_name["contoso.onmicrosoft.com"].is_initial

            organizations = await client.organization.get()
            [organization] = organizations.value
            assert organization.id == TENANT
            verified = {domain.name: domain for domain in organization.verified_domains}
            assert set(verified) == {
                name for name, domain in by_name.items() if domain.is_verified
            }
            assert verified["fabrikam.com"].type == "Federated"
            assert organization.on_premises_sync_enabled is True
            same = await client.organization.by_organization_id(TENANT).get()
            assert same.display_name == organization.display_name

            settings = await client.directory.on_premises_synchronization.get()
            [sync] = settings.value
            assert sync.id == TENANT
            assert sync.features.block_cloud_object_takeover_through_hard_match_enabled is True
            assert sync.features.block_soft_match_enabled is False

    run(scenario())


def test_msgraph_rides_out_a_429_with_its_retry_handler():
    async def scenario():
        transport = RecordingTransport()
        # The throttled twin allows one write per window.
        async with graph_client(THROTTLED_AUTHORITY, THROTTLED_GRAPH, transport) as client:
            await client.users.by_user_id(ALICE).patch(User(job_title="first"))
            await client.users.by_user_id(ALICE).patch(User(job_title="second"))
            patches = [status for method, status in transport.statuses if method == "PATCH"]
            assert patches[0] == 204 and patches[-1] == 204, patches
            assert 429 in patches, patches
            user = await client.users.by_user_id(ALICE).get()
            assert user.job_title == "second"

    run(scenario())
