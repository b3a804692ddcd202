"""Secrets, in one package: references resolved at send time (`resolve`), the encrypted
store behind `secret:NAME` (`store`), and renewable channel tokens (`tokens`, with their
database side in `dbtokens`). Channels import only `resolve` and `tokens`, which know
nothing of the database; the CLI and the runner call `store.install(db)` once.
"""
