"""``python -m bot``: run Dazi with long polling."""

from bot.app import main

if __name__ == "__main__":
    main()
