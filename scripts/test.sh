#!/usr/bin/env bash
# Runs every test: unit tests beside the code, contract, integration and end-to-end suites in test/.
# Usage: npm test [-- path/to/one.test.ts ...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find services test scripts -name '*.test.ts' -not -path '*/node_modules/*' | sort); fi
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
