"""``python -m bot``: run Dazi (long polling, or a webhook server when WEBHOOK_URL is set)."""

from bot.app import main

if __name__ == "__main__":
    main()
