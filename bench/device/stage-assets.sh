#!/bin/bash
# Copies the shared test-bed models, photos and goldens into .devassets/ (git-ignored): ../shared does not travel to a lent
# GPU machine, only the checkout and the paths named in carry do.
set -euo pipefail
root=$(git rev-parse --show-toplevel); cd "$root"
grep -qx '/.devassets/' .git/info/exclude 2>/dev/null || echo '/.devassets/' >> .git/info/exclude
rm -rf .devassets && mkdir -p .devassets
cp -r ../shared/models ../shared/images ../shared/golden ../shared/swap .devassets/
chmod -R u+w .devassets
du -sh .devassets
