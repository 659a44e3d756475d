#!/usr/bin/env bash
# make lint: parse the Jenkinsfile with Groovy's parser (syntax only; no Jenkins here).
set -euo pipefail
file=${1:-Jenkinsfile}
if ! command -v groovy >/dev/null; then
  echo "jenkinsfile: groovy is not installed, syntax not checked (make setup installs it as root;" \
       "or: sudo apt-get install -y groovy)"
  exit 0
fi
if [ -z "${JAVA_HOME:-}" ] && [ ! -x /usr/lib/jvm/default-java/bin/java ] && command -v java >/dev/null; then
  java=$(readlink -f "$(command -v java)")
  export JAVA_HOME=${java%/bin/java}
fi
exec groovy "$(dirname "$0")/check_jenkinsfile.groovy" "$file"
