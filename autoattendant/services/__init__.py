"""Every change to the domain goes through one function here (Zulip's actions layer).

Each runs in a transaction, checks the rules, writes, records an audit entry and queues any
follow-up work with `transaction.on_commit`. The API, the console and management commands call
these; no rule is written twice.
"""
