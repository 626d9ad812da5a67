"""Fakes shared by the tests and benchmarks: a Bot API and an OpenAI-compatible server."""
