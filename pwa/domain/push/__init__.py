"""Web Push, no Flask: subscriptions, preferences, the transactional outbox, who hears of
which item step, and the worker that drains the outbox through a push service."""
