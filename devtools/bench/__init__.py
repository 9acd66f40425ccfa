"""The machinery of the benchmark commands (``bench``, ``bench_notifications``): plain
modules, no management commands (those live in ``devtools/management/commands/``).

- ``targets``: the measured pages, the role users' sessions and each page's query count;
- ``server``: the production-like environment and the gunicorn server it runs;
- ``clients``: the load generators (wrk, or a built-in asyncio client);
- ``rounds``: warm-up, round-robin runs and their medians;
- ``report``: result rows, the table and the JSON results file;
- ``processes``: child processes (manage.py, servers, workers) and the Redis they share;
- ``stats``: percentiles and medians."""
