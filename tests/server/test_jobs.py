"""Jobs under /v1/jobs: created, watched over server-sent events, fetched, cancelled,
expired. The ``test-gate`` engine holds a run where a test needs it held."""

from __future__ import annotations

import json
import time

import httpx
import numpy as np

from tests.server.images import b64, box_mask, photo, png, read_png

BODY = {"image": b64(png(photo())), "mask_box": "4,4,14,12"}


def _events(url: str, **headers: str) -> list[tuple[str, dict]]:
    """Every event of a job's stream, read until the server ends it."""
    events = []
    with httpx.stream("GET", url, headers=headers, timeout=30) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        name, data = None, None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and name is not None:
                events.append((name, data))
                name, data = None, None
    return events


def _wait_for(url: str, state: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(url).json()
        if job["state"] == state:
            return job
        time.sleep(0.02)
    raise AssertionError(f"job never reached {state}: {job}")


def test_job_runs_streams_progress_and_gives_the_png(server_url):
    image, mask = photo(), box_mask()
    created = httpx.post(
        f"{server_url}/v1/jobs",
        files={"image": ("p.png", png(image)), "mask": ("m.png", png(mask))},
        data={"engine": "telea", "seed": "4"},
    )
    assert created.status_code == 202, created.text
    job = created.json()
    assert job["state"] in ("queued", "running", "done") and job["id"]
    assert created.headers["location"] == job["links"]["self"] == f"/v1/jobs/{job['id']}"
    events = _events(server_url + job["links"]["events"])
    assert events[-1][0] == "done" and events[-1][1]["state"] == "done"
    assert all(name == "progress" for name, _ in events[:-1])
    stages = [data["stage"] for name, data in events[:-1]]
    assert {"load", "engine", "encode"} <= set(stages)
    done = httpx.get(server_url + job["links"]["self"]).json()
    assert done["state"] == "done" and done["error"] is None and done["finished"]
    assert done["progress"]["done"] == done["progress"]["total"] == 1  # one region
    result = httpx.get(server_url + job["links"]["result"])
    assert result.status_code == 200 and result.headers["content-type"] == "image/png"
    assert result.headers["x-inpaintkit-seed"] == "4"
    pixels = read_png(result.content)
    assert np.array_equal(pixels[mask == 0], image[mask == 0])
    as_json = httpx.get(
        server_url + job["links"]["result"], headers={"Accept": "application/json"}
    ).json()
    assert as_json["seed"] == 4 and as_json["engine"] == "telea"


def test_outpaint_job(server_url):
    created = httpx.post(
        f"{server_url}/v1/jobs",
        json={"image": BODY["image"], "kind": "outpaint", "right": 8, "engine": "telea"},
    )
    assert created.status_code == 202, created.text
    job_url = server_url + created.json()["links"]["self"]
    _wait_for(job_url, "done")
    assert read_png(httpx.get(job_url + "/result").content).shape == (24, 40, 3)


def test_engine_steps_arrive_as_progress_events(server_url, gate_engine):
    created = httpx.post(f"{server_url}/v1/jobs", json={**BODY, "engine": gate_engine.NAME})
    job = created.json()
    assert gate_engine.entered.wait(20)
    running = httpx.get(server_url + job["links"]["self"]).json()
    assert running["state"] == "running" and running["progress"]["stage"] == "engine"
    not_yet = httpx.get(server_url + job["links"]["result"])
    assert not_yet.status_code == 409 and "running" in not_yet.json()["error"]["message"]
    gate_engine.gate.set()
    events = _events(server_url + job["links"]["events"])
    steps = [(d["done"], d["total"]) for name, d in events if name == "progress"]
    assert [s for s in steps if s[1] == 3][:3] == [(1, 3), (2, 3), (3, 3)]
    assert events[-1][0] == "done"


def test_reconnecting_client_gets_only_newer_events(server_url):
    job = httpx.post(f"{server_url}/v1/jobs", json={**BODY, "engine": "telea"}).json()
    url = server_url + job["links"]["events"]
    everything = _events(url)
    assert len(everything) >= 3
    later = _events(url, **{"Last-Event-ID": "2"})
    assert later == everything[2:]


def test_a_bad_request_is_refused_when_the_job_is_created(server_url):
    answer = httpx.post(f"{server_url}/v1/jobs", json={**BODY, "grow": -3})
    assert answer.status_code == 400 and '"grow"' in answer.json()["error"]["message"]
    kind = httpx.post(f"{server_url}/v1/jobs", json={**BODY, "kind": "paint"})
    assert kind.status_code == 400 and '"kind"' in kind.json()["error"]["message"]


def test_a_job_that_fails_says_why(server_url):
    small_mask = b64(png(box_mask(8, 8, (1, 1, 4, 4))))
    created = httpx.post(f"{server_url}/v1/jobs", json={"image": BODY["image"], "mask": small_mask})
    assert created.status_code == 202
    job = created.json()
    events = _events(server_url + job["links"]["events"])
    assert events[-1][0] == "failed"
    error = events[-1][1]["error"]
    assert error["type"] == "SizeMismatchError" and '"mask_resize": true' in error["message"]
    result = httpx.get(server_url + job["links"]["result"])
    assert result.status_code == 409 and "failed" in result.json()["error"]["message"]


def test_cancel_a_queued_job_it_never_starts(server_url, gate_engine):
    body = {**BODY, "engine": gate_engine.NAME}
    first = httpx.post(f"{server_url}/v1/jobs", json=body).json()
    assert gate_engine.entered.wait(20)
    second = httpx.post(f"{server_url}/v1/jobs", json=body).json()
    assert second["state"] == "queued"
    cancelled = httpx.delete(f"{server_url}/v1/jobs/{second['id']}")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    gate_engine.gate.set()
    _wait_for(server_url + first["links"]["self"], "done")
    time.sleep(0.2)
    assert len(gate_engine.calls) == 1  # the cancelled job never reached the engine
    events = _events(server_url + second["links"]["events"])
    assert [name for name, _ in events] == ["cancelled"]
    result = httpx.get(server_url + second["links"]["result"])
    assert result.status_code == 409 and "cancelled" in result.json()["error"]["message"]


def test_cancel_a_running_job_drops_its_result_and_frees_the_engine(start_server, gate_engine):
    url = start_server(queue_size=0)
    body = {**BODY, "engine": gate_engine.NAME}
    job = httpx.post(f"{url}/v1/jobs", json=body).json()
    assert gate_engine.entered.wait(20)
    assert httpx.post(f"{url}/v1/jobs", json=body).status_code == 429  # the engine is busy
    cancelled = httpx.delete(f"{url}/v1/jobs/{job['id']}").json()
    assert cancelled["state"] == "cancelled" and cancelled["finished"]
    gate_engine.gate.set()
    deadline = time.monotonic() + 20
    while httpx.post(f"{url}/v1/jobs", json={**BODY, "engine": "telea"}).status_code != 202:
        assert time.monotonic() < deadline
    # The engine's queue place is given back once the engine call has ended.
    while True:
        again = httpx.post(f"{url}/v1/jobs", json=body)
        if again.status_code == 202:
            break
        assert again.status_code == 429 and time.monotonic() < deadline
        time.sleep(0.05)
    assert httpx.get(f"{url}/v1/jobs/{job['id']}").json()["state"] == "cancelled"
    assert httpx.get(f"{url}/v1/jobs/{job['id']}/result").status_code == 409


def test_queue_full_refuses_new_jobs_with_retry_after(start_server, gate_engine):
    url = start_server(queue_size=1)
    body = {**BODY, "engine": gate_engine.NAME}
    assert httpx.post(f"{url}/v1/jobs", json=body).status_code == 202
    assert gate_engine.entered.wait(20)
    assert httpx.post(f"{url}/v1/jobs", json=body).status_code == 202  # waits
    refused = httpx.post(f"{url}/v1/jobs", json=body)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    direct = httpx.post(f"{url}/v1/inpaint", json=body)  # jobs and requests share the queue
    assert direct.status_code == 429
    assert httpx.get(f"{url}/healthz").status_code == 200


def test_finished_jobs_expire(start_server):
    url = start_server(job_ttl_s=0.3)
    job = httpx.post(f"{url}/v1/jobs", json={**BODY, "engine": "telea"}).json()
    _wait_for(f"{url}/v1/jobs/{job['id']}", "done")
    time.sleep(0.5)
    gone = httpx.get(f"{url}/v1/jobs/{job['id']}")
    assert gone.status_code == 404 and "forgotten" in gone.json()["error"]["message"]
    assert httpx.get(f"{url}/v1/jobs/{job['id']}/result").status_code == 404


def test_deleting_a_finished_job_forgets_it(server_url):
    job = httpx.post(f"{server_url}/v1/jobs", json={**BODY, "engine": "telea"}).json()
    _wait_for(f"{server_url}/v1/jobs/{job['id']}", "done")
    assert httpx.delete(f"{server_url}/v1/jobs/{job['id']}").json()["state"] == "done"
    assert httpx.get(f"{server_url}/v1/jobs/{job['id']}").status_code == 404


def test_unknown_job_is_404_everywhere(server_url):
    for method, suffix in (("GET", ""), ("GET", "/events"), ("GET", "/result"), ("DELETE", "")):
        answer = httpx.request(method, f"{server_url}/v1/jobs/no-such-job{suffix}")
        assert answer.status_code == 404, (method, suffix)
        assert "no-such-job" in answer.json()["error"]["message"]


def test_event_stream_takes_the_token_in_the_query(start_server):
    url = start_server(token="tk")
    auth = {"Authorization": "Bearer tk"}
    job = httpx.post(f"{url}/v1/jobs", json={**BODY, "engine": "telea"}, headers=auth).json()
    assert httpx.get(f"{url}{job['links']['events']}").status_code == 401
    events = _events(f"{url}{job['links']['events']}?token=tk")
    assert events[-1][0] == "done"
