"""factory_boy factories, one module per app: tests.support.factories.athletes, .training, .health, .connections."""
