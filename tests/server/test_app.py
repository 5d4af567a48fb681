"""The app itself: started for real on a loopback port, auth and limits before routes."""

import base64

import httpx


def test_healthz_is_open_and_says_the_version(server_url):
    answer = httpx.get(f"{server_url}/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_token_is_required_everywhere_but_healthz_and_the_editor(start_server):
    url = start_server(token="s3cret")
    assert httpx.get(f"{url}/healthz").status_code == 200
    assert httpx.get(f"{url}/").status_code == 200
    refused = httpx.get(f"{url}/openapi.json")
    assert refused.status_code == 401 and "Bearer" in refused.json()["error"]["message"]
    allowed = httpx.get(f"{url}/openapi.json", headers={"Authorization": "Bearer s3cret"})
    assert allowed.status_code == 200
    assert httpx.get(f"{url}/openapi.json?token=s3cret").status_code == 200


def test_basic_auth_as_a1111_clients_send_it(start_server):
    url = start_server(api_auth="me:pw")
    good = base64.b64encode(b"me:pw").decode()
    bad = base64.b64encode(b"me:no").decode()
    assert httpx.get(f"{url}/openapi.json", headers={"Authorization": f"Basic {good}"}).is_success
    assert (
        httpx.get(f"{url}/openapi.json", headers={"Authorization": f"Basic {bad}"}).status_code
        == 401
    )


def test_oversized_body_is_413_before_it_is_read(start_server):
    url = start_server(max_upload_bytes=1000)
    answer = httpx.post(f"{url}/v1/inpaint", content=b"x" * 5000)
    assert answer.status_code == 413 and "limit" in answer.json()["error"]["message"]
