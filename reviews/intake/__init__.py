"""The automated intake report (issue 16): a commit of the integration's repository checked
against the program's published failure reasons before a reviewer spends a minute on it.

* ``rules`` — the rules table (data), each row mapped to a guideline code;
* ``engine`` — the matchers behind the rule kinds (pure; no database, no GitHub);
* ``services`` — ask for / compute a report (once per commit), item → finding, the intake
  guard registered with ``certifications.intake_checks``;
* ``selectors`` — reads for the pages and the API (``intake_report_for``).
"""
