# shellcheck shell=bash
# Starts a local PostgreSQL for Weir's store tests and exports the libpq variables they read.
#
#   source .ci/postgres.sh      # as root, non-interactive (CI), or with sudo rights
#
# Idempotent: installs PostgreSQL only when missing, creates a cluster only when none exists,
# starts it only when down, and creates the role/database only once. Leaves PGHOST, PGPORT,
# PGUSER, PGPASSWORD and PGDATABASE exported in the calling shell.

weir_pg_main() {
    local role=weir password=weir database=weir
    local sudo_pg=(runuser -u postgres --)
    if [ "$(id -u)" -ne 0 ]; then
        sudo_pg=(sudo -n -u postgres)
    fi
    local as_root=()
    [ "$(id -u)" -ne 0 ] && as_root=(sudo -n)

    if ! command -v pg_lsclusters >/dev/null 2>&1; then
        echo "postgres.sh: installing PostgreSQL" >&2
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql || return 1
    fi

    # The first cluster listed; create one for the newest installed server when there is none.
    local version cluster port status
    read -r version cluster port status _ < <(pg_lsclusters -h | head -n 1) || true
    if [ -z "${version:-}" ]; then
        version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
        echo "postgres.sh: creating cluster ${version}/main" >&2
        "${as_root[@]}" pg_createcluster "$version" main || return 1
        read -r version cluster port status _ < <(pg_lsclusters -h | head -n 1) || true
    fi
    if [ "$status" != "online" ]; then
        echo "postgres.sh: starting cluster ${version}/${cluster} on port ${port}" >&2
        "${as_root[@]}" pg_ctlcluster "$version" "$cluster" start || return 1
    fi

    local tries=0
    until pg_isready -q -h 127.0.0.1 -p "$port"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 60 ]; then
            echo "postgres.sh: PostgreSQL ${version}/${cluster} not ready on port ${port} after 30 s;" \
                 "see /var/log/postgresql/postgresql-${version}-${cluster}.log" >&2
            return 1
        fi
        sleep 0.5
    done

    local psql=("${sudo_pg[@]}" psql -v ON_ERROR_STOP=1 -q -X -p "$port" -d postgres)
    if [ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '${role}'")" != "1" ]; then
        "${psql[@]}" -c "CREATE ROLE ${role} LOGIN PASSWORD '${password}'" || return 1
    fi
    if [ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '${database}'")" != "1" ]; then
        "${psql[@]}" -c "CREATE DATABASE ${database} OWNER ${role}" || return 1
    fi

    export PGHOST=127.0.0.1 PGPORT="$port" PGUSER="$role" PGPASSWORD="$password" PGDATABASE="$database"
    echo "postgres.sh: PostgreSQL ${version} ready at ${PGHOST}:${PGPORT}, database ${PGDATABASE}, role ${PGUSER}" >&2
}

weir_pg_main
