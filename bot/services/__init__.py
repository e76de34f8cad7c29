"""Services: what the product does, over repositories, without Telegram."""
