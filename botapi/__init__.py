"""A stand-in for the Telegram Bot API (in process and over loopback HTTP), the chat driver used by
tests, and the console mode built on them. Transport only: it knows nothing of the domain."""
