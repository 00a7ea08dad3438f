#!/usr/bin/env bash
# Renders docs/pictures/NAME.svg (`kafkasim run --svg`) for every teaching example that
# docs/producer-semantics.md, consumer-semantics.md, streams-semantics.md and transactions.md
# name (examples/scenarios/NAME.toml, at the file's own seed; the nemesis sweeps are left out:
# they teach through many seeds, not one picture). `cargo test --test pictures` fails when a
# checked-in picture no longer matches what its example renders; run this script to redraw them.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
kafkasim="$target_dir/release/kafkasim"
mkdir -p docs/pictures
names=$(grep -oh '[a-z0-9.-]*\.toml' docs/producer-semantics.md docs/consumer-semantics.md \
  docs/streams-semantics.md docs/transactions.md | sort -u | grep -v 'nemesis-sweep' | sed 's/\.toml$//')
for name in $names; do
  [ -f "examples/scenarios/$name.toml" ] || continue
  # The picture is drawn whatever the run's [expect] says (exit status 1 is not an error here).
  "$kafkasim" run "examples/scenarios/$name.toml" --svg "docs/pictures/$name.svg" > /dev/null || [ $? -eq 1 ]
  echo "docs/pictures/$name.svg"
done
