#!/usr/bin/env bash
# Compiles the mock Kafka cluster helper (librdkafka's mock cluster) used by tests.
# Usage: test/helpers/mock-kafka/build.sh   → test/helpers/mock-kafka/build/mock-kafka
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -f /usr/include/librdkafka/rdkafka_mock.h ] && ! echo '#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>' | "${CC:-cc}" -E -x c - >/dev/null 2>&1; then
  echo "mock-kafka: librdkafka headers not found (librdkafka/rdkafka_mock.h); run: apt-get install -y librdkafka-dev" >&2
  exit 1
fi
mkdir -p "$here/build"
tmp="$here/build/mock-kafka.tmp.$$"
"${CC:-cc}" -O2 -Wall -Wextra -std=c11 -o "$tmp" "$here/mock_kafka.c" -lrdkafka
mv -f "$tmp" "$here/build/mock-kafka"
echo "built $here/build/mock-kafka"
