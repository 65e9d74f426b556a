"""Reads every CSV file of the given results folders with pandas and polars
at their default settings, as a researcher would, and checks that each
column gets the type it should: text columns as text, whole numbers as
integers, everything else as floats (a column with no value at all, such
as a Morris study's confidence bounds, is left alone: no reader can type
it). Seeds must be exact in tools that read numbers as doubles (< 2^53).

Usage: read_outputs.py COUNTS_JSON DIR...
COUNTS_JSON lists the whole-number metric columns (engine::metrics::COUNTS).
Exits non-zero naming the file and column on the first mismatch.
"""
import json
import math
import pathlib
import sys

import pandas as pd
import polars as pl

TEXT = {"policy", "versus", "metric", "enterprise", "lab", "policy_initial", "policy_final",
        "method", "parameter", "index", "against", "measure", "kind", "name",
        "file", "column", "unit", "meaning"}
WHOLE = {"replicate", "week", "point", "seed", "n", "task_decisions", "world", "worlds", "step", "k",
         "parameters_restricted", "candidate", "generation", "evaluations", "population", "archive",
         "epsilon_progress"}
BOOL = {"pasted", "chosen", "restricted", "feasible", "on_front"}


def kind(file, column, counts):
    if column in TEXT:
        return "text"
    if column in WHOLE or column in counts:
        return "int"
    if column in BOOL:
        return "bool"
    if file.name in ("points.csv", "worlds.csv"):
        return None  # a parameter: integer or float, as the sweep file says
    return "float"


def main():
    counts = set(json.loads(sys.argv[1]))
    files = [f for d in sys.argv[2:] for f in sorted(pathlib.Path(d).glob("*.csv"))]
    if not files:
        sys.exit("no CSV files found")
    for f in files:
        pdf = pd.read_csv(f)
        plf = pl.read_csv(f)
        assert list(pdf.columns) == plf.columns, f"{f}: pandas and polars disagree on the header"
        for c in pdf.columns:
            if pdf[c].isna().all():
                continue
            want = kind(f, c, counts)
            p_dtype, l_dtype = str(pdf[c].dtype), plf[c].dtype
            if want == "text":
                ok = p_dtype in ("object", "str", "string") and l_dtype == pl.String
            elif want == "bool":
                ok = p_dtype == "bool" and l_dtype == pl.Boolean
            elif want == "int":
                ok = p_dtype == "int64" and l_dtype == pl.Int64
            elif want == "float":
                ok = p_dtype == "float64" and l_dtype == pl.Float64
            else:
                ok = p_dtype in ("int64", "float64") and l_dtype in (pl.Int64, pl.Float64)
            if not ok:
                sys.exit(f"{f}: column {c} should be {want}: pandas read {p_dtype}, polars read {l_dtype}")
            if want in ("int", "float"):
                a = pdf[c].to_numpy(dtype="float64")
                b = plf[c].cast(pl.Float64).to_numpy()
                same = all((math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b))
                assert same, f"{f}: column {c}: pandas and polars read different numbers"
            if c == "seed":
                top = int(plf[c].max())
                assert top < 2**53, f"{f}: seed {top} is not exact as a double"
                assert all(float(s) == s for s in plf[c].to_list()), f"{f}: a seed is not exact as a double"
    print(f"read {len(files)} files with pandas {pd.__version__} and polars {pl.__version__}: every column typed right")


if __name__ == "__main__":
    main()
