"""/api/schema/ (OpenAPI 3, camelCase, Bearer, enums, read-only fields, error responses) and /api/docs/."""

import pytest
import yaml
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_yaml_by_default_and_json_on_request():
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi;")  # the YAML media type
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")
    response = APIClient().get("/api/schema/?format=json")
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")


def test_every_resource_and_auth_path_is_documented_without_delete(schema):
    paths = schema["paths"]
    for resource in ["athletes", "programs", "phases", "micro-cycles", "sessions", "connection-profiles"]:
        assert set(paths[f"/api/v1/{resource}/"]) == {"get", "post"}
        assert set(paths[f"/api/v1/{resource}/{{id}}/"]) == {"get", "put", "patch"}
    assert set(paths["/api/v1/health-events/"]) == {"get"}
    assert {"/api/v1/auth/token/", "/api/v1/auth/logout/", "/api/v1/auth/me/"} <= set(paths)


def test_components_are_camel_case_with_read_only_fields(schema):
    program = schema["components"]["schemas"]["TrainingProgram"]
    props = program["properties"]
    for name in [
        "athleteId",
        "startDate",
        "endDate",
        "macroCycle",
        "totalWeeks",
        "completedWeeks",
        "adherenceRate",
        "currentPhaseId",
        "nextSessionId",
        "createdAt",
        "updatedAt",
    ]:
        assert name in props, name
    assert not any(
        "_" in name for comp in schema["components"]["schemas"].values() for name in comp.get("properties", {})
    )
    for read_only in ["id", "totalWeeks", "completedWeeks", "adherenceRate", "currentPhaseId", "nextSessionId"]:
        assert props[read_only]["readOnly"] is True
    request = schema["components"]["schemas"]["TrainingProgramRequest"]["properties"]
    assert "totalWeeks" not in request and "id" not in request


def test_query_parameters_are_camel_case_and_typed(schema):
    params = {p["name"]: p for p in schema["paths"]["/api/v1/sessions/"]["get"]["parameters"]}
    assert {
        "athleteId",
        "programId",
        "phaseId",
        "microCycleId",
        "status",
        "modality",
        "scheduledAfter",
        "scheduledBefore",
        "ordering",
        "page",
        "pageSize",
    } <= set(params)
    assert params["athleteId"]["schema"]["format"] == "uuid"
    assert params["scheduledAfter"]["schema"]["format"] == "date-time"
    path_id = schema["paths"]["/api/v1/sessions/{id}/"]["get"]["parameters"][0]
    assert path_id["in"] == "path" and path_id["schema"]["format"] == "uuid"


def test_enums_are_documented(schema):
    components = schema["components"]["schemas"]
    assert components["PlanStatusEnum"]["enum"] == ["planned", "current", "completed"]
    assert components["SessionStatusEnum"]["enum"] == ["planned", "completed", "skipped"]
    assert "body_composition" in components["PrimaryGoalEnum"]["enum"]
    assert "conditioning" in components["ModalityEnum"]["enum"]


def test_bearer_security_scheme(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["knoxApiToken"].items()
    assert {"knoxApiToken": []} in schema["paths"]["/api/v1/programs/"]["get"]["security"]
    assert schema["paths"]["/api/v1/auth/token/"]["post"].get("security") in ([], [{}], None)


def test_error_responses_are_documented(schema):
    patch = schema["paths"]["/api/v1/programs/{id}/"]["patch"]["responses"]
    assert {"200", "400", "401", "403", "404", "412", "415"} <= set(patch)
    assert patch["412"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
    assert {"400", "429"} <= set(schema["paths"]["/api/v1/auth/token/"]["post"]["responses"])
    lst = schema["paths"]["/api/v1/programs/"]["get"]["responses"]
    assert {"200", "400", "401", "403", "404"} <= set(lst)
    if_match = [p for p in schema["paths"]["/api/v1/programs/{id}/"]["patch"]["parameters"] if p["name"] == "If-Match"]
    assert if_match and if_match[0]["in"] == "header"


def test_interactive_docs_are_served_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html and "jsdelivr" not in html
    script = next(part.split('"')[0] for part in html.split('src="')[1:] if "swagger-ui-bundle" in part)
    assert client.get(script).status_code == 200


def test_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    # --fail-on-warn: an unannotated view or an ambiguous field type is a failure, not a silent `string`.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3")
