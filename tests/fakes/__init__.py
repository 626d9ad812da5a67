"""Fakes shared by the tests and benchmarks: a Bot API, an OpenAI-compatible server, a scripted
chat model, a message transport, a clock and a database with users."""
