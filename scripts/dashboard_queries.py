#!/usr/bin/env python3
"""Read the PromQL queries out of a Grafana dashboard and check them against a scrape.

Usage:
  dashboard_queries.py exprs   DASHBOARD.json
      Print every panel target's expression, one per line, with Grafana's
      variables replaced so that Prometheus can run it as is
      ($node -> .*, $__rate_interval / $__interval / $__range -> 1m).
  dashboard_queries.py metrics DASHBOARD.json
      Print the sorted set of metric names those expressions reference.
  dashboard_queries.py check   DASHBOARD.json METRICS.txt
      Compare the referenced names with the sample names of a Prometheus text
      exposition (a saved scrape of /metrics). Exit 1 and list the missing ones,
      or print "N metrics referenced, all exported".
  dashboard_queries.py selftest
      Run the built-in tests.

Standard library only, so it runs anywhere python3 does.
"""

import contextlib
import io
import json
import re
import sys
import tempfile
import unittest

# Grafana variables and what they become outside Grafana. A multi-value
# variable set to "All" expands to its allValue, which is ".*" for `node`.
_SUBSTITUTIONS = [
    (re.compile(r"\$\{node(?::[a-z]+)?\}|\[\[node\]\]|\$node\b"), ".*"),
    (re.compile(r"\$\{?__rate_interval\}?"), "1m"),
    (re.compile(r"\$\{?__interval\}?"), "1m"),
    (re.compile(r"\$\{?__range\}?"), "1m"),
]

# Words that look like identifiers in PromQL but never name a metric.
_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "inf", "nan", "atan2", "start", "end",
}

_IDENT = re.compile(r"(?<![\w:.])([A-Za-z_:][A-Za-z0-9_:]*)")
_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
# Label lists of grouping and vector-matching clauses hold label names, not metrics.
_LABEL_LIST = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.IGNORECASE)
_BRACES = re.compile(r"\{[^}]*\}")
_BRACKETS = re.compile(r"\[[^\]]*\]")


def panel_targets(dashboard):
    """Yield every target of every panel, including panels nested in collapsed rows."""
    stack = list(dashboard.get("panels", []))
    while stack:
        panel = stack.pop(0)
        stack[0:0] = panel.get("panels", []) or []
        for target in panel.get("targets", []) or []:
            yield target


def substitute(expr):
    """Replace Grafana variables and fold the expression onto one line."""
    for pattern, value in _SUBSTITUTIONS:
        expr = pattern.sub(value, expr)
    return " ".join(expr.split())


def dashboard_exprs(dashboard):
    """Every non-empty target expression, ready for Prometheus."""
    return [substitute(t["expr"]) for t in panel_targets(dashboard)
            if isinstance(t.get("expr"), str) and t["expr"].strip()]


def referenced_metrics(expr):
    """Metric names an expression selects: identifiers not called as functions."""
    text = _STRING.sub('""', expr)
    text = _LABEL_LIST.sub(" ", text)
    text = _BRACES.sub("{}", text)
    text = _BRACKETS.sub("[]", text)
    names = set()
    for match in _IDENT.finditer(text):
        rest = text[match.end():].lstrip()
        if rest.startswith("("):
            continue  # a function or aggregation call
        if rest and rest[0] not in "{[),":
            # An identifier followed by an operator is still a metric (a / b);
            # only words in _KEYWORDS are filtered below.
            if not re.match(r"[-+*/%^=!<>]|and\b|or\b|unless\b|offset\b", rest):
                continue
        name = match.group(1)
        if name.lower() in _KEYWORDS:
            continue
        names.add(name)
    return names


def exposition_names(text):
    """Sample names present in a Prometheus text exposition."""
    names = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line)
        if match:
            names.add(match.group(0))
    return names


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def all_metrics(dashboard):
    names = set()
    for expr in dashboard_exprs(dashboard):
        names |= referenced_metrics(expr)
    return names


# Metrics of other exporters the dashboard reads, by name prefix. They are checked only
# when the scrape holds at least one of that exporter's samples (prom-check appends a
# redis_exporter scrape to Parlor's); a Parlor scrape alone does not vouch for them.
_OTHER_EXPORTERS = {"redis_": "redis_exporter"}


def cmd_check(dashboard_path, metrics_path):
    wanted = all_metrics(load(dashboard_path))
    with open(metrics_path, encoding="utf-8") as handle:
        exported = exposition_names(handle.read())
    skipped = []
    for prefix, exporter in _OTHER_EXPORTERS.items():
        if not any(name.startswith(prefix) for name in exported):
            theirs = {name for name in wanted if name.startswith(prefix)}
            if theirs:
                skipped.append(f"{len(theirs)} {exporter} metrics not checked (no {exporter} scrape)")
            wanted -= theirs
    missing = sorted(wanted - exported)
    if missing:
        print(f"{len(missing)} of {len(wanted)} referenced metrics are not exported:")
        for name in missing:
            print(f"  {name}")
        return 1
    note = "".join(f"; {s}" for s in skipped)
    print(f"{len(wanted)} metrics referenced, all exported{note}")
    return 0


class SelfTest(unittest.TestCase):
    DASHBOARD = {"panels": [
        {"type": "row", "panels": [], "title": "r"},
        {"type": "timeseries", "targets": [
            {"expr": 'histogram_quantile(0.99, sum by (le, op) '
                     '(rate(a_seconds_bucket{node=~"$node"}[$__rate_interval])))'},
            {"expr": ""}]},
        {"type": "row", "collapsed": True, "panels": [
            {"type": "timeseries", "targets": [
                {"expr": 'sum by (op, kind) (rate(b_total{node=~"${node}", '
                         'kind!="x"}[$__interval])) or on() vector(0)'}]}]},
        {"type": "stat", "targets": [{"expr": "c_bytes / d_bytes * 100"}]},
        {"type": "text"},
    ]}

    def test_exprs_substitute_and_flatten(self):
        exprs = dashboard_exprs(self.DASHBOARD)
        self.assertEqual(len(exprs), 3)
        self.assertIn('a_seconds_bucket{node=~".*"}[1m]', exprs[0])
        self.assertIn('b_total{node=~".*", kind!="x"}[1m]', exprs[1])
        self.assertTrue(all("$" not in e for e in exprs))

    def test_metrics_skip_functions_keywords_and_labels(self):
        self.assertEqual(all_metrics(self.DASHBOARD),
                         {"a_seconds_bucket", "b_total", "c_bytes", "d_bytes"})

    def test_label_replace_strings_ignored(self):
        names = referenced_metrics(
            'label_replace(up{job="x"}, "dst", "$1", "src", "(.*)") offset 5m')
        self.assertEqual(names, {"up"})

    def test_check(self):
        scrape = ("# HELP a_seconds histogram\n# TYPE a_seconds histogram\n"
                  'a_seconds_bucket{le="0.1",node="n"} 1\nb_total 0\n'
                  "c_bytes 1\n")
        with tempfile.NamedTemporaryFile("w", suffix=".json") as dash, \
                tempfile.NamedTemporaryFile("w", suffix=".txt") as text:
            json.dump(self.DASHBOARD, dash)
            dash.flush()
            text.write(scrape)
            text.flush()
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(cmd_check(dash.name, text.name), 1)
            self.assertIn("d_bytes", out.getvalue())
            text.write("d_bytes 2\n")
            text.flush()
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(cmd_check(dash.name, text.name), 0)
            self.assertEqual(out.getvalue(), "4 metrics referenced, all exported\n")

    def test_check_other_exporters_only_with_their_scrape(self):
        dashboard = {"panels": [{"type": "timeseries", "targets": [
            {"expr": "a_total + redis_memory_used_bytes"}]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".json") as dash, \
                tempfile.NamedTemporaryFile("w", suffix=".txt") as text:
            json.dump(dashboard, dash)
            dash.flush()
            text.write("a_total 1\n")
            text.flush()
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(cmd_check(dash.name, text.name), 0)
            self.assertIn("1 redis_exporter metrics not checked", out.getvalue())
            text.write("redis_up 1\n")
            text.flush()
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(cmd_check(dash.name, text.name), 1)
            self.assertIn("redis_memory_used_bytes", out.getvalue())


def main(argv):
    if len(argv) == 2 and argv[1] == "selftest":
        result = unittest.main(argv=[argv[0]], module=__name__, exit=False,
                               defaultTest="SelfTest", verbosity=1).result
        return 0 if result.wasSuccessful() else 1
    if len(argv) == 3 and argv[1] == "exprs":
        for expr in dashboard_exprs(load(argv[2])):
            print(expr)
        return 0
    if len(argv) == 3 and argv[1] == "metrics":
        for name in sorted(all_metrics(load(argv[2]))):
            print(name)
        return 0
    if len(argv) == 4 and argv[1] == "check":
        return cmd_check(argv[2], argv[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
