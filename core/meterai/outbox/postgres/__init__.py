"""The outbox on a shared PostgreSQL database: several counters, one account, one queue.

SQLite stays the embedded default; this package is loaded only when a PostgreSQL URL
is chosen (``--database``, ``METERAI_DATABASE``), so psycopg is never imported otherwise.
The database is the coordination point (DESIGN section 9): due requests are claimed
with ``FOR UPDATE SKIP LOCKED`` and a lease (``claims``), the login token is shared and
refreshed by one counter at a time under an advisory lock (``tokens``), and counters
wake each other with LISTEN/NOTIFY (``wakeups``).
"""
