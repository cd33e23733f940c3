"""The OpenAPI document: valid, complete, and true. Schemathesis reads
``/api/v1/openapi.json`` from the app served over HTTP (a real server in a thread, on
SQLite and on PostgreSQL), generates requests for every operation from it, valid ones and
invalid ones, and checks every answer: never a 5xx, statuses, content types, headers and
bodies as documented, invalid input refused."""
import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis import checks
from werkzeug.serving import make_server

from forum.search import engines, indexer
from forum.extensions import db

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]
EXAMPLES = 60  # per operation and mode


@pytest.fixture
def live_url(app, world):
    """The app with the API tests' world, served over HTTP on a free port."""
    with app.app_context():
        indexer.drain_outbox(engines.get_backend())
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_the_document_lists_every_route_of_the_api(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = set(document["paths"])
    served = {
        rule.rule.replace("<id:", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint.startswith("api.")
    }
    assert served and served == documented
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"status", "code", "title", "message"}
    for path, operations in document["paths"].items():
        assert set(operations) - {"parameters"} == {"get"}, path  # read-only
        assert "default" in operations["get"]["responses"], path  # every error documented


@pytest.mark.slow
def test_schemathesis_finds_no_answer_that_breaks_the_document(live_url):
    schema = schemathesis.openapi.from_url(f"{live_url}/api/v1/openapi.json")
    failures, answered = [], {}
    for result in schema.get_all_operations():
        operation = result.ok()
        modes = [GenerationMode.POSITIVE]
        if operation.path_parameters or operation.query:
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def exercise(case):
                response = case.call()
                answered.setdefault(operation.label, set()).add(response.status_code)
                case.validate_response(response, checks=CHECKS)

            try:
                exercise()
            except Exception as error:  # noqa: BLE001 (every operation is tried; all failures reported)
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)
    # It reached the data, not only the refusals.
    assert 200 in answered["GET /api/v1/proposals"] and 200 in answered["GET /api/v1/search"]
    assert 200 in answered["GET /api/v1/proposals/{proposal_id}"] or 404 in answered["GET /api/v1/proposals/{proposal_id}"]
    assert all(status < 500 for statuses in answered.values() for status in statuses)
