"""The chat model: an OpenAI-compatible client with retries, and its plain types."""
