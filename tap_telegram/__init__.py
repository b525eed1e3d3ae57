"""tap-telegram: a Singer tap for Telegram message history."""
