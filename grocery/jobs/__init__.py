"""Background jobs of the grocery: how a job run is recorded, locked, retried and enqueued
(`runs`, `locks`, `enqueue`), and the monthly reconciliation of allowances (`monthly`).

Tasks themselves live in each app's `tasks.py` and stay thin: they take ids or dates, call a
service, and are safe to run twice because every job recomputes its result from the database.
"""
