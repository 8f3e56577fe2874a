"""What the test suites share: one fake HTTP server (tests.support.http_fake) and one moto fixture
(tests.support.moto)."""
