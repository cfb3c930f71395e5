#!/usr/bin/env bash
# Prints the `export` lines hona-ops needs for a deployed stack, from its outputs:
#   eval "$(scripts/ops-env.sh hona-mycase-dev)"
# Needs the AWS CLI with credentials for the stack's account and region.
set -euo pipefail
STACK="${1:?usage: scripts/ops-env.sh <stack-name>}"
aws cloudformation describe-stacks --stack-name "$STACK" --output json \
  --query 'Stacks[0].Outputs' | python3 -c '
import json, sys
outputs = {o["OutputKey"]: o["OutputValue"] for o in json.load(sys.stdin)}
# Outputs named Env<VARIABLE_WITHOUT_UNDERSCORES> carry the functions variables.
names = {
    "EnvHonaIntegrationsTable": "HONA_INTEGRATIONS_TABLE",
    "EnvHonaIdempotencyTable": "HONA_IDEMPOTENCY_TABLE",
    "EnvHonaLedgerTable": "HONA_LEDGER_TABLE",
    "EnvHonaCaseThreadsTable": "HONA_CASE_THREADS_TABLE",
    "EnvHonaLeasesTable": "HONA_LEASES_TABLE",
    "EnvHonaMappingsTable": "HONA_MAPPINGS_TABLE",
    "EnvHonaLeadsTable": "HONA_LEADS_TABLE",
    "EnvHonaSecretPrefix": "HONA_SECRET_PREFIX",
    "MessagesQueueUrl": "HONA_QUEUE_URL_MESSAGES",
    "NotificationsQueueUrl": "HONA_QUEUE_URL_NOTIFICATIONS",
    "DocumentsQueueUrl": "HONA_QUEUE_URL_DOCUMENTS",
    "FormFieldsQueueUrl": "HONA_QUEUE_URL_FORM_FIELDS",
    "LeadsQueueUrl": "HONA_QUEUE_URL_LEADS",
    "NightlyQueueUrl": "HONA_NIGHTLY_QUEUE_URL",
}
for output, var in names.items():
    if output in outputs:
        print(f"export {var}={outputs[output]}")
    else:
        print(f"# {var}: the stack has no output {output}", file=sys.stderr)
'
