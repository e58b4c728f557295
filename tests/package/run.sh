#!/usr/bin/env bash
# The packaging check (`npm run test:package`; .ci/run calls it after `npm test`): see check.ts for what it proves.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node --import tsx tests/package/check.ts
