#!/usr/bin/env bash
# Fails when a file of the repository refers to something outside it: a path to the team's reference
# notes beside the project (`../shared`), their file names, or a numbered seed document. Tests, scripts,
# benchmarks, comments and docs cite Microsoft's public documentation by URL, HENNGE's public support
# pages, or this repository's own docs (docs/rules.md) instead (CONTRIBUTING.md).
set -euo pipefail
cd "$(dirname "$0")/.."

pattern='\.\./shared|shared/(reference|seeds)|reference/[A-Za-z0-9_-]+\.(md|json|xml)|\b(graph|matching-rules|sync|hennge|crates|scim|peers|design|style)\.md\b|\bseeds/|\bseed 0[0-9]{2}\b|ISSUE[0-9]+-DESIGN'


if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files --cached --others --exclude-standard)
else
    mapfile -t files < <(find . -path ./target -prune -o -type f -print | sed 's|^\./||')
fi

failed=0
for file in "${files[@]}"; do
    [[ -f $file && $file != scripts/check-standalone.sh ]] || continue
    matches=$(grep -nIE "$pattern" -- "$file" || true)
    [[ -n $matches ]] || continue
    while IFS= read -r line; do
        printf '%s:%s\n' "$file" "$line" >&2
    done <<<"$matches"
    failed=1
done

if [[ $failed -ne 0 ]]; then
    echo "check-standalone: the lines above refer to files outside the repository; cite a public URL or docs/rules.md instead" >&2
    exit 1
fi
echo "check-standalone: no references outside the repository" >&2
