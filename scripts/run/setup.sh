#!/usr/bin/env bash
# make setup: idempotent. Creates .venv, installs requirements.txt (Browser library with
# its bundled node via robotframework-browser-batteries: no rfbrowser init, no npm), and
# the Debian packages the twin and the suites need. A second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

# ---- Debian packages -------------------------------------------------------------------
missing=()
{ command -v rabbitmq-server >/dev/null || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; } || missing+=(rabbitmq-server)
command -v chromium >/dev/null || missing+=(chromium)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
# kubectl: Debian's kubernetes-client and the 'kubectl' package both own /usr/bin/kubectl.
command -v kubectl >/dev/null || missing+=(kubernetes-client)
# groovy: `make lint` parses the Jenkinsfile with it.
command -v groovy >/dev/null || missing+=(groovy)
# certutil: chromium trusts the twin's CA (or FOCUS_CA_BUNDLE) through an NSS database.
command -v certutil >/dev/null || missing+=(libnss3-tools)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The twin runs its own RabbitMQ node; the system service is not needed.
    if command -v service >/dev/null && [[ " ${missing[*]} " == *" rabbitmq-server "* ]]; then
      service rabbitmq-server stop >/dev/null 2>&1 || true
    fi
    # The twin runs its own sshd processes on loopback ports; the system one is not needed.
    if command -v service >/dev/null && [[ " ${missing[*]} " == *" openssh-server "* ]]; then
      service ssh stop >/dev/null 2>&1 || true
    fi
  else
    die "missing Debian packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}"
  fi
fi

# ---- Python ----------------------------------------------------------------------------
python_bin=""
for candidate in "${PYTHON:-}" python3.11 python3; do
  [ -n "$candidate" ] && command -v "$candidate" >/dev/null || continue
  if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' 2>/dev/null; then
    python_bin=$candidate; break
  fi
done
[ -n "$python_bin" ] || die "Python 3.11 or newer is needed: sudo apt-get install -y python3 python3-venv"

if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $python_bin"
  "$python_bin" -m venv .venv || die "could not create .venv: sudo apt-get install -y python3-venv"
fi

# The pinned requirements, and the project's two distributions editable: the keyword
# libraries (pyproject.toml: libraries, contract, variables) and the twin
# (twin/pyproject.toml). pip checks that the ranges they declare admit the pins.
# scripts/, benchmarks/ and tests/ are not installed: they run from the checkout
# (python -m scripts.run.prove, pytest).
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
rm -f "$site/focus_suite.pth"  # the path trick of earlier set-ups: the installs replace it
packages=(libraries variables twin)
[ -f contract/__init__.py ] && packages+=(contract)
installed_here() {  # the installed packages import from this checkout, from any folder
  local want="" name
  for name in "${packages[@]}"; do want+="$PWD/$name "; done
  [ "$(cd / && "$OLDPWD/.venv/bin/python" -c 'import importlib, sys
print(*(importlib.import_module(n).__path__[0] for n in sys.argv[1:]), end=" ")' \
    "${packages[@]}" 2>/dev/null)" = "$want" ]
}
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt pyproject.toml twin/pyproject.toml <(ls -d -- */__init__.py) \
  | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! installed_here; then
  say "installing Python packages (requirements.txt) and the project (pip install -e . -e ./twin)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
  # (setuptools advises, at every editable install, that a same-named folder in the working
  # directory would take precedence: here those folders are the installed ones.)
  PYTHONWARNINGS="ignore:Editable installation" \
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt -e . -e ./twin
  installed_here || die "the editable installs do not import from $PWD: rm -rf .venv and run make setup again"
  echo "$want" > "$stamp"
fi

# ---- openapi-diff (npm, pinned in tools/openapi-diff): make fuzz's breaking-change check ----
if [ ! -x tools/openapi-diff/node_modules/.bin/openapi-diff ]; then
  if ! command -v npm >/dev/null && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: nodejs npm"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
  fi
  if command -v npm >/dev/null; then
    say "installing openapi-diff (tools/openapi-diff)"
    npm ci --prefix tools/openapi-diff --no-audit --no-fund --loglevel=error >/dev/null \
      || say "warning: npm ci in tools/openapi-diff failed; make fuzz cannot check breaking changes"
  else
    say "warning: npm is missing; make fuzz needs it: sudo apt-get install -y nodejs npm"
  fi
fi

mkdir -p results
say "ready (activate with: source .venv/bin/activate)"
