"""PostgreSQL's plan of a statement, as the list of its nodes (EXPLAIN in JSON)."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext


def plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def explain(sql: str, params) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (document,) = cursor.fetchone()
    if isinstance(document, str):
        document = json.loads(document)
    return list(plan_nodes(document[0]["Plan"]))


def statements_of(request) -> list[str]:
    """The SQL a request ran, as sent (parameters inlined by the backend's logging)."""
    with CaptureQueriesContext(connection) as queries:
        response = request()
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def scanned_relations(nodes: list[dict]) -> dict[str, set[str]]:
    """Per table, the scans of it in a plan: "Seq Scan", "Index Scan using <index>" …"""
    scans: dict[str, set[str]] = {}
    for node in nodes:
        if "Relation Name" in node:
            how = node["Node Type"]
            if "Index Name" in node:
                how += f" using {node['Index Name']}"
            scans.setdefault(node["Relation Name"], set()).add(how)
    return scans
