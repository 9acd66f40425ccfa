"""The machinery of ``seed_scale``: plain modules, no management commands (the command is
``devtools/management/commands/seed_scale.py``).

- ``shape``: what the data looks like (name prefix, state and kind mix, transition paths);
- ``writers``: PostgreSQL COPY of rows with explicit ids, and the id sequences after it;
- ``partners``: staff users, partners with their review, plan, agreement, payment and
  admin user, and integrations;
- ``requests``: requests with their transition log, documents, findings, certificates
  and notifications;
- ``seed``: the whole load in order, the size already seeded, the benchmark's rows."""
