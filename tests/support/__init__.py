"""What the tests share, in one package: factories (one module per app), helpers, client builders, the access
world and connection-profile fixtures (pytest plugins registered in tests/conftest.py), and the outage and fault
tooling. Test modules import from here, never from another test module or a conftest."""
