"""tests.support.resources holds every resource the routers register under /api/v1/, and nothing else: a routed
resource missing there would be skipped, silently, by the representation, query-count and access-matrix tests."""

from rest_framework.viewsets import ViewSetMixin

from tests.support.resources import RESOURCES
from tests.support.utils import api_patterns


def routed_viewsets() -> dict[str, tuple[str, type]]:
    """basename -> (route of its list, viewset) for every viewset a router registered under api/v1/."""
    found: dict[str, tuple[str, type]] = {}
    for route, pattern in api_patterns():
        callback = pattern.callback
        cls = getattr(callback, "cls", None)
        if not (route.startswith("api/v1/") and cls and issubclass(cls, ViewSetMixin)):
            continue
        initkwargs = getattr(callback, "initkwargs", {})
        if "basename" in initkwargs and pattern.name == f"{initkwargs['basename']}-list":
            found[initkwargs["basename"]] = (route, cls)
    return found


def registry_problems(routed: dict[str, tuple[str, type]], registry: dict) -> list[str]:
    problems = [f"routed but not in tests/support/resources.py: {b} ({routed[b][0]})" for b in routed.keys() - registry]
    problems += [f"in tests/support/resources.py but not routed: {b}" for b in registry.keys() - routed]
    for basename in routed.keys() & registry.keys():
        (route, viewset), resource = routed[basename], registry[basename]
        if route != resource.list_path.removeprefix("/"):
            problems.append(f"{basename}: routed at {route!r}, the registry says {resource.list_path!r}")
        if viewset.queryset.model is not resource.model:
            problems.append(f"{basename}: the viewset lists {viewset.queryset.model.__name__}")
        if viewset.serializer_class is not resource.serializer:
            problems.append(f"{basename}: the viewset renders {viewset.serializer_class.__name__}")
    return problems


def test_every_routed_resource_is_in_the_registry_and_every_entry_is_routed():
    routed = routed_viewsets()
    assert len(routed) >= 7  # the walk sees the routers
    assert not registry_problems(routed, RESOURCES), "\n".join(registry_problems(routed, RESOURCES))


def test_the_check_names_a_missing_resource_and_a_stale_entry():
    routed = routed_viewsets()
    without_sessions = {k: v for k, v in RESOURCES.items() if k != "session"}
    assert registry_problems(routed, without_sessions) == [
        "routed but not in tests/support/resources.py: session (api/v1/sessions/)"
    ]
    stale = {**RESOURCES, "retired": RESOURCES["session"]}
    assert registry_problems(routed, stale) == ["in tests/support/resources.py but not routed: retired"]
