#!/bin/bash
# Copies what the GPU script reads of the shared test bed (models, photos, goldens, the swap golden's JSON) into
# .devassets/ (git-ignored): ../shared does not travel to a lent GPU machine, only the checkout and the paths named in
# carry do. The swap golden's PNGs and the 15 MB INSwapper replica stay behind: nothing there reads the PNGs, the
# replica's one user (the fp16 session test) forges a stand-in, and with them the carry would pass its 64 MiB.
# Then checks that the checkout, .gpu (bench/device/pack.sh) and .devassets fit in one call's 64 MiB.
set -euo pipefail
root=$(git rev-parse --show-toplevel); cd "$root"
grep -qx '/.devassets/' .git/info/exclude 2>/dev/null || echo '/.devassets/' >> .git/info/exclude
rm -rf .devassets && mkdir -p .devassets/swap/golden_t1
cp -r ../shared/models ../shared/images ../shared/golden .devassets/
cp ../shared/swap/golden_t1/golden.json .devassets/swap/golden_t1/
chmod -R u+w .devassets
du -sh .devassets
# What travels: tracked files, untracked files git does not ignore, and the carried .gpu and .devassets.
tree=$( (git ls-files -z; git ls-files -z --others --exclude-standard) | xargs -0 -r stat -c %s -- 2>/dev/null | awk '{s += $1} END {print s + 0}')
carried=$(du -sb .gpu .devassets 2>/dev/null | awk '{s += $1} END {print s + 0}')
total=$((tree + carried))
echo "travels: $((total / 1048576)) MiB (checkout $((tree / 1048576)), .gpu + .devassets $((carried / 1048576))); the limit is 64 MiB"
[ -d .gpu ] || echo "note: no .gpu yet (bash bench/device/pack.sh)"
[ "$total" -lt $((62 * 1048576)) ] || { echo "ERROR: what travels is over 62 MiB (the limit is 64): trim .gpu or .devassets"; exit 1; }
