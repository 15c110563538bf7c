#!/usr/bin/env bash
# Run healthscore's main job on the bundled data, from a fresh clone.
#
# Unless a virtual environment is already active, this creates .venv in the
# repository root and installs healthscore into it. It then scores both bundled
# datasets with the `healthscore score` command:
#   - the simulated B2B SaaS book (crm6): a snapshot as of 2023-01-01 is built
#     from the daily events, then scored with examples/models/crm6.json;
#   - the Iranian telecom subscribers: scored with
#     examples/models/iranian-churn.json.
# Scores go to out/crm6_scores.csv and out/iranian_scores.csv; the tables of
# accounts per segment and band, and the observed churn rate per band, go to
# standard error.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${VIRTUAL_ENV:-}" ]; then
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    # shellcheck disable=SC1091
    . .venv/bin/activate
fi
python -m pip install --quiet --disable-pip-version-check -e .
mkdir -p out

echo "== crm6 (simulated B2B SaaS accounts, as of 2023-01-01) ==" >&2
python examples/crm6_snapshot.py --as-of 2023-01-01 --out out/crm6_accounts_2023-01-01.csv
healthscore score \
    --model examples/models/crm6.json \
    --accounts out/crm6_accounts_2023-01-01.csv \
    --as-of 2023-01-01 \
    --out out/crm6_scores.csv \
    --outcome-column churned_within_horizon

echo >&2
echo "== Iranian churn (real telecom subscribers; the data has no dates) ==" >&2
healthscore score \
    --model examples/models/iranian-churn.json \
    --accounts data/iranian-churn/customer_churn.csv \
    --as-of 2020-01-01 \
    --out out/iranian_scores.csv \
    --outcome-column Churn
