"""Purchase orders: raising, sending, receiving (RECEIPT movements) and cancelling them.

`services` writes, `selectors` reads; the pages live beside them so the topic stays in one place.
"""
