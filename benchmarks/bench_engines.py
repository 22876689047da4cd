"""Engines benchmark: the runs table (parameters + last loss) with ``wb.runs()``, DuckDB, Spark and Dask.

Prints, in one run (``hatch run bench:engines``; ``-- --runs 10000`` for one size), for each store
size, one cold call per engine, each in a new process (it pays its imports, the JVM's start, the
cluster's start; the reader starts with an empty disk cache):

1. ``wb.runs(series={"Training loss.csv": "loss"})`` on a store without a runs index (index writes
   off): it reads every run record, whose summary holds the parameters and the last loss;
2. the same with the runs index in the store (``write_index()`` first, not timed);
3. DuckDB: docs/querying.md's recipes ``connect-local``, ``parameters``, ``last-loss``, then their join;
4. Spark (``local[2]``): the recipes ``spark-session``, ``spark-views``, then the join of
   ``parameters`` and the last loss of ``loss``, to pandas;
5. Spark, from the runs index only (``spark-runs-index``: parameters and last loss are in each
   record's summary, no series read);
6. Dask (two worker processes): the recipes ``dask-cluster``, ``dask-loss``, ``dask-parameters``,
   ``dask-question`` (its ``table``, computed).

The recipes are read from docs/querying.md and run as written (the store's path swapped in). Every
engine must give the same number of rows and the same best run; the table says so. The local store
is built by writing files directly in the on-store format (``docs/format.md``): for each run its
final record (with the summary the writer puts in it at close, computed by the writer's own
``lab_workbook_writer._summary``), ``parameters.json`` and a 100-row ``Training loss.csv``; building
is not timed. The machine is shared: the load average is printed beside every figure.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import subprocess
import sys

from synthetic_runs import run_objects  # benchmarks/synthetic_runs.py
from timing import bench_environment, load_average  # benchmarks/timing.py

DOC = Path(__file__).resolve().parents[1] / "docs" / "querying.md"


def build(root: Path, runs: int, work: Path) -> None:
    """``runs`` finished runs under ``root``, written as the writer leaves them (``synthetic_runs``)."""
    for i in range(runs):
        for key, data in run_objects(i, work)[2].items():
            path = root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


# Each child prints {"seconds", "rows", "best"}: seconds from before its imports to the table in hand.
_PRELUDE = """
import time
start = time.perf_counter()
import json, re, sys
doc, store = sys.argv[1], sys.argv[2]
blocks = re.findall(r"```python\\n(.*?)```", open(doc, encoding="utf-8").read(), flags=re.S)
recipes = {b.splitlines()[0].removeprefix("# recipe: "): b for b in blocks}
scope = {}
def run(*names):
    for name in names:
        exec(recipes[name].replace('"/data/experiments/"', repr(store)), scope)
"""
_DONE = """
import os
seconds = time.perf_counter() - start
parents = {}  # every process's parent, to find this one's descendants (the JVM, the cluster's workers)
for entry in filter(str.isdigit, os.listdir("/proc")):
    try:
        fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
    except (OSError, ValueError):
        continue
    parents[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
mine, grew = {os.getpid()}, True
while grew:
    found = {pid for pid, (parent, _) in parents.items() if parent in mine} - mine
    mine |= found
    grew = bool(found)
cpu = sum(parents[pid][1] for pid in mine if pid in parents)
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": int(rows), "best": str(best)}))
"""
ENGINES = {
    "wb.runs() (no index)": """
import lab_workbook
table = lab_workbook.ExperimentRepository(store).runs(series={"Training loss.csv": "loss"})
rows, best = len(table), table.sort_values("loss.last")["tag"].iloc[0]
""",
    "wb.runs() (runs index)": """
import lab_workbook
table = lab_workbook.ExperimentRepository(store).runs(series={"Training loss.csv": "loss"})
rows, best = len(table), table.sort_values("loss.last")["tag"].iloc[0]
""",
    "DuckDB": """
run("connect-local", "parameters", "last-loss")
table = scope["con"].sql('''
SELECT p.tag, p.learningRate, p.model.depth AS depth, l.last_loss FROM parameters p JOIN (
  SELECT tag, arg_max(loss, step) FILTER (WHERE NOT isnan(loss)) AS last_loss FROM loss GROUP BY tag
) l USING (tag) ORDER BY l.last_loss
''').df()
rows, best = len(table), table["tag"].iloc[0]
""",
    "Spark local[2]": """
from pyspark.sql import SparkSession
SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate().sparkContext.setLogLevel("ERROR")
run("spark-session", "spark-views")
table = scope["spark"].sql('''
SELECT p.tag, p.learningRate, p.model.depth AS depth, l.last_loss FROM parameters p JOIN (
  SELECT tag, max_by(loss, step) FILTER (WHERE NOT isnan(loss)) AS last_loss FROM loss GROUP BY tag
) l USING (tag) ORDER BY l.last_loss NULLS LAST
''').toPandas()
rows, best = len(table), table["tag"].iloc[0]
""",
    "Spark local[2] (runs index)": """
from pyspark.sql import SparkSession
SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate().sparkContext.setLogLevel("ERROR")
run("spark-session", "spark-runs-index")
table = scope["indexed"]
rows, best = len(table), table.sort_values("last_loss")["tag"].iloc[0]
""",
    "Dask (2 workers)": """
run("dask-cluster", "dask-loss", "dask-parameters", "dask-question")
table = scope["table"].compute()
rows, best = len(table), scope["best"]["tag"].iloc[0]
""",
}


def measure(engine: str, store: str, cache: Path) -> dict:
    env = {
        **os.environ,
        "LAB_WORKBOOK_CACHE_DIR": str(cache),  # cold: a new, empty cache
        "LAB_WORKBOOK_INDEX_WRITES": "off",  # the first reader must not index the store for the others
        "DASK_DISTRIBUTED__SCHEDULER__DASHBOARD__ADDRESS": "127.0.0.1:0",
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    code = _PRELUDE + ENGINES[engine] + _DONE
    done = subprocess.run(
        [sys.executable, "-c", code, str(DOC), store], capture_output=True, text=True, env=env, timeout=3600
    )
    if done.returncode:
        raise SystemExit(f"{engine} failed:\n{done.stderr[-3000:]}")
    # "cpu": CPU seconds of the child and its live descendants (the JVM, the cluster's workers) when the
    # table was in hand; on a loaded machine they move far less than wall time.
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load"] = load_average()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="1000,10000", help="store sizes, comma-separated")
    parser.add_argument("--engines", default=",".join(ENGINES), help="which engines (names as in the table)")
    args = parser.parse_args()
    work = bench_environment("bench-engines", cache=False)
    engines = [e.strip() for e in args.engines.split(",")]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(map(repr, unknown))}: choose among {', '.join(map(repr, ENGINES))}")
    print(f"# {len(os.sched_getaffinity(0))} cores, {load_average()} at the start")
    print("| runs | engine | cold call (s) | CPU (s) | rows | best run | load |")
    print("|---:|---|---:|---:|---:|---|---|")
    for runs in (int(r) for r in args.runs.split(",")):
        root = work / f"store-{runs}"
        build(root, runs, work)
        store = str(root) + "/"
        indexed = False
        for number, engine in enumerate(engines):
            if "runs index" in engine and not indexed:
                from lab_workbook import ExperimentRepository

                ExperimentRepository(store, cache=False).write_index()  # not timed
                indexed = True
            result = measure(engine, store, work / f"cache-{runs}-{number}")
            print(
                f"| {runs:,} | {engine} | {result['seconds']:.1f} | {result['cpu']:.1f} | {result['rows']:,} | {result['best']} | {result['load']} |",
                flush=True,
            )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
