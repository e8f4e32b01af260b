"""The KPI scorer: complaint histories in, scores with every lost point explained out.

`kpi.facts` is what the scorer reads (plain data, made by `kpi.source` from the database or by
tests by hand); the scoring itself knows nothing of Flask, LINE or SQL.
"""
