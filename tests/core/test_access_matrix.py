"""The access matrix (docs/api.md, Roles): every role × every resource × every action, on the caller's own
rows and on another coach's, asserting the status, that lists hold exactly the rows the role may see, and
that a refused write changes nothing. docs/api.md's roles table is this matrix (checked below).

"A" is the athlete assigned to the coach (and the athlete role's own profile); "B" is another coach's
athlete. A coach without athletes has neither. The catalogue (exercises) is nobody's own: every role that reads
training data reads all of it, and only the training writers write it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.clients import bearer_client
from tests.support.resources import BY_PREFIX, CATALOGUE, HEALTH, OPERATIONS, OWN, TEAM, prefixes
from tests.support.resources import TRAINING as TRAINING_ACCESS
from training.models import TrainingSession

pytestmark = pytest.mark.django_db

ROLES = [
    "superuser",
    "head coach",
    "coach",
    "coach without athletes",
    "operations",
    "staff without groups",
    "athlete",
    "anonymous",
]
# Every routed resource (tests.support.resources), in the roles table's order.
TRAINING = prefixes(TRAINING_ACCESS)
TEAMS = prefixes(TEAM)
OWNS = prefixes(OWN)
CATALOGUES = prefixes(CATALOGUE)
OPS = prefixes(OPERATIONS)
HEALTHS = prefixes(HEALTH)
RESOURCES = TRAINING + HEALTHS + TEAMS + OWNS + CATALOGUES + OPS
MODELS = {prefix: BY_PREFIX[prefix].model for prefix in RESOURCES}

# The actions, in the docs table's order. "A"/"B" as in the module docstring.
TRAINING_ACTIONS = [
    "GET list",
    "GET A",
    "GET B",
    "POST",
    "POST under A",
    "POST under B",
    "PUT A",
    "PUT B",
    "PATCH A (coach fields)",
    "PATCH A (athlete fields)",
    "PATCH B",
    "POST A invite",
    "POST B invite",
    "POST A save-as-template",
    "POST B save-as-template",
    "POST A link",
    "POST B link",
    "DELETE A",
]
TEAM_ACTIONS = [
    "GET list",
    "GET A",
    "GET B",
    "POST",
    "PUT A",
    "PUT B",
    "PATCH A",
    "PATCH B",
    "POST A apply",
    "POST B apply",
    "DELETE A",
]
OWN_ACTIONS = [
    "GET list",
    "GET A",
    "GET B",
    "POST",
    "PUT A",
    "PUT B",
    "PATCH A",
    "PATCH B",
    "POST A test",
    "POST B test",
    "POST A rotate-secret",
    "POST B rotate-secret",
    "DELETE A",
]
# The detail actions of the tables above: "POST A <name>" runs POST /<prefix>/{A's id}/<name>/.
DETAIL_ACTIONS = {"invite", "save-as-template", "apply", "link", "test", "rotate-secret"}
OPS_ACTIONS = ["GET list", "GET one", "POST", "PATCH one", "DELETE one"]
# Health data: "A"/"B" is the athlete's entry of a date, read and written at /athletes/{id}/<prefix>/{date}/.
HEALTH_ACTIONS = ["GET list", "GET A", "GET B", "POST", "PUT A", "PUT B", "DELETE A"]
CATALOGUE_ACTIONS = ["GET list", "GET one", "POST", "PUT one", "PATCH one", "DELETE one"]
ACTIONS = {
    **dict.fromkeys(TRAINING, TRAINING_ACTIONS),
    **dict.fromkeys(TEAMS, TEAM_ACTIONS),
    **dict.fromkeys(OWNS, OWN_ACTIONS),
    **dict.fromkeys(CATALOGUES, CATALOGUE_ACTIONS),
    **dict.fromkeys(OPS, OPS_ACTIONS),
    **dict.fromkeys(HEALTHS, HEALTH_ACTIONS),
}

# What each action does not apply to (no cell in the table), from the registry's facts about each resource.
NOT_APPLICABLE = {
    *((r, "POST under A") for r in TRAINING if BY_PREFIX[r].parent is None),  # no parent: an athlete
    *((r, "POST under B") for r in TRAINING if BY_PREFIX[r].parent is None),
    *((r, "POST") for r in TRAINING if BY_PREFIX[r].parent is not None),  # every plan row has one
    # athletes may change nothing of the plan
    *((r, "PATCH A (athlete fields)") for r in TRAINING if BY_PREFIX[r].athlete_patch is None),
    *(
        (r, f"POST {which} {name}")
        for r in TRAINING + TEAMS + OWNS
        for name in DETAIL_ACTIONS
        if name not in BY_PREFIX[r].detail_actions
        for which in "AB"
    ),
}


def detail_action(action: str) -> str | None:
    """The name of the detail action `action` runs ("POST A invite" -> "invite"), or None."""
    parts = action.split(" ", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "POST" and parts[2] in DETAIL_ACTIONS else None


def expected(role: str, resource: str, action: str) -> int:
    """The status `role` gets for `action` on `resource`."""
    if role == "anonymous":
        return 401
    if action.startswith("DELETE"):
        return 405  # deletes happen only in the admin
    if resource in OPS:
        operator = role in ("superuser", "operations")
        if BY_PREFIX[resource].read_only and action in ("POST", "PATCH one"):
            return 405  # read-only for everyone
        if not operator:
            return 403
        return {"POST": 201}.get(action, 200)
    if resource in OWNS:
        # A user's own rows: "A" is the coach's endpoint, "B" another coach's; head coaches see every one,
        # operations and coaches their own. Athletes get none.
        if role not in ("superuser", "head coach", "coach", "coach without athletes", "operations"):
            return 403
        if action == "GET list":
            return 200
        if action == "POST":
            return 201
        sees = role in ("superuser", "head coach", "coach") if " A" in action else role in ("superuser", "head coach")
        if detail_action(action):
            return BY_PREFIX[resource].detail_actions[detail_action(action)][1] if sees else 404
        return 200 if sees else 404
    if resource in HEALTHS:
        if action in ("POST", "DELETE A"):
            return 405  # entries are PUT by date; never deleted through the API
        if role in ("operations", "staff without groups"):
            return 403
        sees = (
            role in ("superuser", "head coach", "coach", "athlete")
            if " A" in action
            else role in ("superuser", "head coach")
        )
        if action == "GET list":
            return 200
        if not sees:
            return 404
        if action.startswith("GET"):
            return 200
        return 200 if role == "athlete" else 403  # written by the athlete only
    if BY_PREFIX[resource].read_only and not action.startswith("GET") and not detail_action(action):
        return 405  # rows made elsewhere (activities: the upload): read-only for everyone signed in
    if role in ("operations", "staff without groups"):
        return 403
    writer = role in ("superuser", "head coach", "coach", "coach without athletes")
    if resource in TEAMS:
        # Coaches' own rows: "A" is the coach's squad (with athlete A), "B" another coach's. Athletes get none.
        if not writer:
            return 403
        if action == "GET list":
            return 200
        if action == "POST":
            return 201  # the creating coach is added to its coaches
        if detail_action(action):
            sees = (
                role in ("superuser", "head coach", "coach") if " A " in action else role in ("superuser", "head coach")
            )
            return BY_PREFIX[resource].detail_actions[detail_action(action)][1] if sees else 404
        sees = role in ("superuser", "head coach", "coach") if " A" in action else role in ("superuser", "head coach")
        return 200 if sees else 404
    if resource in CATALOGUES:
        # Every training reader reads every row (nothing to hide: no 404s); athletes write nothing.
        if action.startswith("GET"):
            return 200
        if not writer:
            return 403
        return 201 if action == "POST" else 200
    sees_a = role in ("superuser", "head coach", "coach", "athlete")
    sees_b = role in ("superuser", "head coach")
    if action == "GET list":
        return 200
    if action in ("GET A", "GET B"):
        return 200 if (sees_a if action == "GET A" else sees_b) else 404
    if action.startswith("POST") and not detail_action(action):
        if not writer:
            return 403
        if action == "POST":
            return 201  # an athlete (no parent); the creating coach is assigned
        # A parent the caller may not see resolves like one that does not exist: 400, which leaks nothing.
        return 201 if (sees_a if action == "POST under A" else sees_b) else 400
    if detail_action(action):
        if not writer and not (role == "athlete" and detail_action(action) in BY_PREFIX[resource].athlete_actions):
            return 403
        allowed = BY_PREFIX[resource].detail_actions[detail_action(action)][1]
        return allowed if (sees_a if action.startswith("POST A") else sees_b) else 404
    on_a = " A" in action
    sees = sees_a if on_a else sees_b
    if not sees:
        return 404  # someone else's object: never 403, existence does not leak
    if writer:
        return 200
    # The athlete on their own object: only a PATCH of the fields they may change.
    return 200 if action == "PATCH A (athlete fields)" else 403


# --- The world: tests.support.world (A is the coach's athlete, B another coach's) ----------------------


def _create_payload(resource, plan, role):
    return BY_PREFIX[resource].create(plan, role)


COACH_PATCH = {prefix: BY_PREFIX[prefix].coach_patch for prefix in RESOURCES}
ATHLETE_PATCH = {prefix: BY_PREFIX[prefix].athlete_patch for prefix in RESOURCES if BY_PREFIX[prefix].athlete_patch}


def _versions(world):
    """Every world row's version: a refused write must leave them all as they were."""
    versions = {}
    for which in ("A", "B"):
        for resource, obj in world[which].items():
            versions[which, resource] = _version(obj)
    versions["profile"] = _version(world["profile"])
    versions["exercise"] = _version(world["exercise"])
    return versions


def _version(obj):
    return type(obj).objects.filter(pk=obj.pk).values_list("version", flat=True).first()


def _perform(world, client, resource, action):
    """Run `action`; return (response, the object it names or None)."""
    if resource in OPS or resource in CATALOGUES:
        obj = world[BY_PREFIX[resource].world_row]
        url = f"/api/v1/{resource}/{obj.pk}/"
        calls = {
            "GET list": lambda: client.get(f"/api/v1/{resource}/"),
            "GET one": lambda: client.get(url),
            "POST": lambda: client.post(
                f"/api/v1/{resource}/", _create_payload(resource, world["A"], "x"), format="json"
            ),
            "PUT one": lambda: client.put(url, _full_body(world, url), format="json"),
            "PATCH one": lambda: client.patch(url, COACH_PATCH[resource], format="json"),
            "DELETE one": lambda: client.delete(url),
        }
        return calls[action](), obj
    which = "B" if " B" in action else "A"
    obj = world[which][resource]
    if resource in HEALTHS:
        entry_url = f"/api/v1/athletes/{obj.athlete_id}/{resource}/{obj.date.isoformat()}/"
        calls = {
            "GET list": lambda: client.get(f"/api/v1/{resource}/", {"pageSize": 200}),
            "GET": lambda: client.get(entry_url),
            "POST": lambda: client.post(
                f"/api/v1/{resource}/", _create_payload(resource, world[which], "x"), format="json"
            ),
            "PUT": lambda: client.put(entry_url, _create_payload(resource, world[which], "x"), format="json"),
            "DELETE": lambda: client.delete(entry_url),
        }
        return calls[action if action in calls else action.split()[0]](), obj
    url = f"/api/v1/{resource}/{obj.pk}/"
    if action == "GET list":
        return client.get(f"/api/v1/{resource}/", {"pageSize": 200}), None
    if action.startswith("GET"):
        return client.get(url), obj
    if action in ("POST", "POST under A", "POST under B"):
        role = action.replace(" ", "-")
        return client.post(f"/api/v1/{resource}/", _create_payload(resource, world[which], role), format="json"), None
    if action.startswith("PUT"):
        return client.put(url, _full_body(world, url), format="json"), obj
    if action == "PATCH A (athlete fields)":
        return client.patch(url, ATHLETE_PATCH[resource], format="json"), obj
    if action.startswith("PATCH"):
        return client.patch(url, COACH_PATCH[resource], format="json"), obj
    if name := detail_action(action):
        body = BY_PREFIX[resource].detail_actions[name][0](world, which)
        return client.post(f"{url}{name}/", body, format="json"), None
    if action.startswith("DELETE"):
        return client.delete(url), obj
    raise AssertionError(action)


def _full_body(world, url):
    """The row as a superuser reads it, for a PUT (nulls left out)."""
    body = bearer_client(world["users"]["superuser"]).get(url).json()
    return {k: v for k, v in body.items() if v is not None}


def _cases():
    for role in ROLES:
        for resource in RESOURCES:
            yield role, resource


@pytest.mark.parametrize(("role", "resource"), list(_cases()))
def test_access_matrix(world, role, resource):
    client = world.client(role)
    model = MODELS[resource]
    actions = ACTIONS[resource]
    failures = []
    for action in actions:
        if (resource, action) in NOT_APPLICABLE:
            continue
        want = expected(role, resource, action)
        rows_before = model.objects.count()
        versions_before = _versions(world)
        response, _ = _perform(world, client, resource, action)
        got = response.status_code
        if got != want:
            failures.append(f"{action}: {got} (expected {want}) {response.content[:300]!r}")
            continue
        if got >= 400:
            # A refused request writes nothing.
            if model.objects.count() != rows_before or _versions(world) != versions_before:
                failures.append(f"{action}: {got} but something was written")
            if got == 404:
                assert set(response.json()) == {"detail"}
    assert not failures, f"{role} on {resource}:\n" + "\n".join(failures)


# --- Lists hold exactly the rows the role may see ----------------------------------------------------

VISIBLE = {
    "superuser": {"A", "B"},
    "head coach": {"A", "B"},
    "coach": {"A"},
    "coach without athletes": set(),
    "athlete": {"A"},
}


@pytest.mark.parametrize("role", list(VISIBLE))
@pytest.mark.parametrize("resource", TRAINING + HEALTHS)
def test_lists_hold_exactly_the_visible_rows(world, role, resource):
    client = world.client(role)
    ids = {row["id"] for row in client.get(f"/api/v1/{resource}/", {"pageSize": 200}).json()["results"]}
    assert ids == {str(world[which][resource].pk) for which in VISIBLE[role]}


@pytest.mark.parametrize("role", ["superuser", "head coach", "coach", "coach without athletes"])
@pytest.mark.parametrize("resource", TEAMS)
def test_team_lists_hold_exactly_the_rows_the_coach_coaches(world, role, resource):
    client = world.client(role)
    ids = {row["id"] for row in client.get(f"/api/v1/{resource}/", {"pageSize": 200}).json()["results"]}
    assert ids == {str(world[which][resource].pk) for which in VISIBLE[role]}


@pytest.mark.parametrize(
    ("role", "visible"),
    [("superuser", {"A", "B"}), ("head coach", {"A", "B"}), ("coach", {"A"}), ("operations", set())],
)
@pytest.mark.parametrize("resource", OWNS)
def test_own_lists_hold_the_callers_rows_or_every_row_for_a_head_coach(world, role, visible, resource):
    ids = {row["id"] for row in world.client(role).get(f"/api/v1/{resource}/", {"pageSize": 200}).json()["results"]}
    assert ids == {str(world[which][resource].pk) for which in visible}


@pytest.mark.parametrize("role", list(VISIBLE))
@pytest.mark.parametrize("resource", CATALOGUES)
def test_catalogue_lists_hold_every_row_for_every_reader(world, role, resource):
    model = BY_PREFIX[resource].model
    body = world.client(role).get(f"/api/v1/{resource}/", {"pageSize": 200}).json()
    assert body["count"] == model.objects.count() >= 1
    assert str(world[BY_PREFIX[resource].world_row].pk) in {row["id"] for row in body["results"]}


@pytest.mark.parametrize("role", ["coach", "coach without athletes", "athlete"])
@pytest.mark.parametrize(
    ("resource", "param", "parent"),
    [
        ("programs", "athleteId", "athletes"),
        ("sessions", "athleteId", "athletes"),
        ("phases", "programId", "programs"),
        ("micro-cycles", "programId", "programs"),
        ("micro-cycles", "phaseId", "phases"),
        ("sessions", "programId", "programs"),
        ("sessions", "phaseId", "phases"),
        ("sessions", "microCycleId", "micro-cycles"),
    ],
)
def test_filters_naming_another_coachs_rows_are_empty(world, role, resource, param, parent):
    client = world.client(role)
    response = client.get(f"/api/v1/{resource}/", {param: str(world["B"][parent].pk)})
    assert response.status_code == 200
    assert response.json()["count"] == 0
    # ... while a head coach gets the row.
    head = world.client("head coach")
    assert head.get(f"/api/v1/{resource}/", {param: str(world["B"][parent].pk)}).json()["count"] == 1


@pytest.mark.parametrize(
    ("resource", "field", "parent"),
    [
        ("programs", "athleteId", "athletes"),
        ("phases", "programId", "programs"),
        ("micro-cycles", "programId", "programs"),
        ("sessions", "programId", "programs"),
    ],
)
def test_a_body_naming_an_invisible_parent_is_the_same_400_as_a_missing_one(world, resource, field, parent):
    client = world.client("coach")
    payload = _create_payload(resource, world["A"], "coach")
    hidden = {**payload, field: str(world["B"][parent].pk)}
    missing = {**payload, field: "0190d7a0-0000-7000-8000-000000000000"}
    got_hidden = client.post(f"/api/v1/{resource}/", hidden, format="json")
    got_missing = client.post(f"/api/v1/{resource}/", missing, format="json")
    assert got_hidden.status_code == got_missing.status_code == 400
    as_text = lambda r, pk: r.json()[field][0].replace(pk, "<id>")  # noqa: E731
    assert as_text(got_hidden, hidden[field]) == as_text(got_missing, missing[field])
    assert "does not exist" in got_hidden.json()[field][0]


@pytest.mark.parametrize("field", ["phaseId", "microCycleId"])
def test_a_session_naming_another_coachs_phase_or_cycle_is_400(world, field):
    parent = {"phaseId": "phases", "microCycleId": "micro-cycles"}[field]
    payload = {**_create_payload("sessions", world["A"], "coach"), field: str(world["B"][parent].pk)}
    response = world.client("coach").post("/api/v1/sessions/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert TrainingSession.objects.count() == 2


# --- The docs' roles table is this matrix ------------------------------------------------------------

ROLE_HEADERS = {
    "superuser": "superuser",
    "head coach": "head coach",
    "coach": "coach",
    "coach without athletes": "coach, no athletes",
    "operations": "operations",
    "staff without groups": "staff, no group",
    "athlete": "athlete",
    "anonymous": "anonymous",
}


def roles_table() -> str:
    """The matrix as a Markdown table; rows of resources with the same statuses for an action are merged."""
    lines = [
        "| resource | request | " + " | ".join(ROLE_HEADERS[r] for r in ROLES) + " |",
        "| --- | --- | " + " | ".join("---" for _ in ROLES) + " |",
    ]
    for group, actions in (
        (TRAINING, TRAINING_ACTIONS),
        (HEALTHS, HEALTH_ACTIONS),
        (TEAMS, TEAM_ACTIONS),
        (OWNS, OWN_ACTIONS),
        (CATALOGUES, CATALOGUE_ACTIONS),
        (OPS, OPS_ACTIONS),
    ):
        for action in actions:
            by_statuses: dict[tuple, list[str]] = {}
            for resource in group:
                if (resource, action) in NOT_APPLICABLE:
                    continue
                statuses = tuple(expected(role, resource, action) for role in ROLES)
                by_statuses.setdefault(statuses, []).append(resource)
            for statuses, resources in by_statuses.items():
                cells = " | ".join(str(s) for s in statuses)
                lines.append(f"| {', '.join(resources)} | {action} | {cells} |")
    return "\n".join(lines)


def test_the_docs_roles_table_is_the_tested_matrix():
    text = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    found = re.search(r"<!-- roles-table:start -->\n(.*?)\n<!-- roles-table:end -->", text, re.S)
    assert found, "docs/api.md has no roles table between <!-- roles-table:start/end --> markers"
    assert found.group(1).strip() == roles_table(), "docs/api.md's roles table differs; it should be:\n" + roles_table()


# --- A view over no model (e.g. a derived endpoint) -----------------------------------------------------


def test_a_view_without_a_model_asks_for_the_coach_permission_and_lets_athletes_read(world, rf):
    from rest_framework.views import APIView

    from core.permissions import RolePermission

    class Derived(APIView):
        athlete_access = True

    permission = RolePermission()
    for role, method, allowed in [
        ("coach", "GET", True),
        ("head coach", "POST", True),
        ("athlete", "GET", True),
        ("athlete", "POST", False),
        ("operations", "GET", False),
        ("staff without groups", "GET", False),
    ]:
        request = getattr(rf, method.lower())("/x/")
        request.user = world["users"][role]
        view = Derived()
        view.get = view.post = lambda *a: None
        assert permission.has_permission(request, view) is allowed, (role, method)


def test_athlete_actions_open_a_detail_action_to_athletes_on_their_own_object(world, rf):
    from rest_framework.views import APIView

    from core.permissions import RolePermission

    class Feed(APIView):
        athlete_access = True
        athlete_actions = ("calendar_feed",)
        action_permissions = {"calendar_feed": ["athletes.change_athleteprofile"], "other": ["x.y"]}

    permission = RolePermission()
    own = world["A"]["athletes"]
    for action, allowed in [("calendar_feed", True), ("other", False)]:
        request = rf.post("/x/")
        request.user = world["users"]["athlete"]
        view = Feed()
        view.post = lambda *a: None
        view.action = action
        assert permission.has_permission(request, view) is allowed
        assert permission.has_object_permission(request, view, own) is allowed
