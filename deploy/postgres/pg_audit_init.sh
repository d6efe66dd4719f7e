#!/usr/bin/env bash
# FacelessYouTube API: one-time database set-up as a superuser (docs/adr/0010).
#
# The postgres image runs this once, when the data directory is initialised
# (/docker-entrypoint-initdb.d/); it is idempotent, so an operator may run it again, e.g.
#   PGHOST=db.internal POSTGRES_USER=postgres POSTGRES_DB=faceless PGPASSWORD=... \
#   POSTGRES_OWNER_PASSWORD_FILE=/run/secrets/owner POSTGRES_APP_PASSWORD_FILE=... \
#   ./pg_audit_init.sh
#
# It creates:
#   * the extensions pgcrypto and pgaudit (pgaudit needs a superuser and the preload);
#   * the migration owner login ($FACELESS_OWNER_ROLE, default faceless_owner), owner of
#     the database: DDL through `faceless migrate` (DATABASE_MIGRATION_URL);
#   * faceless_runtime, a NOLOGIN group the migrations grant the app's DML to, and the
#     runtime login ($FACELESS_APP_ROLE, default faceless_app) in it (DATABASE_URL):
#     NOSUPERUSER NOCREATEDB NOCREATEROLE, no CREATE anywhere, no TEMP;
#   * pgaudit_admin, NOLOGIN with no members, the pgaudit.role of the database;
#   * the database-level pgaudit settings (superuser-only parameters).
#
# Passwords come from $POSTGRES_OWNER_PASSWORD / $POSTGRES_APP_PASSWORD or the files
# named by the same variables with _FILE appended (Docker secrets). They never reach the
# server: this script sends SCRAM-SHA-256 verifiers (computed here, password on stdin), so
# no clear password can land in a statement or audit log. Printable ASCII only (the
# server would SASLprep anything else; this does not).
set -euo pipefail

owner_role="${FACELESS_OWNER_ROLE:-faceless_owner}"
app_role="${FACELESS_APP_ROLE:-faceless_app}"
superuser="${POSTGRES_USER:-postgres}"
database="${POSTGRES_DB:-$superuser}"

read_secret() {
    local var="$1" file_var="${1}_FILE" value
    if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
        echo "pg_audit_init.sh: both $var and $file_var are set; choose one" >&2
        exit 1
    fi
    if [ -n "${!file_var:-}" ]; then
        value="$(<"${!file_var}")"
    else
        value="${!var:-}"
    fi
    if [ -z "$value" ]; then
        echo "pg_audit_init.sh: set $var or $file_var" >&2
        exit 1
    fi
    printf '%s' "$value"
}

# RFC 5802/7677 verifier, as PostgreSQL stores it; the password arrives on stdin (printf
# is a shell builtin, so it is never in any process's argv).
scram_verifier() {
    perl -MDigest::SHA=hmac_sha256,sha256 -MMIME::Base64=encode_base64 -e '
        local $/;
        my $password = <STDIN>;
        $password =~ s/[\r\n]+\z//;
        die "pg_audit_init.sh: empty password\n" unless length $password;
        die "pg_audit_init.sh: passwords must be printable ASCII\n" if $password =~ /[^\x20-\x7e]/;
        open(my $random, "<:raw", "/dev/urandom") or die "no /dev/urandom\n";
        read($random, my $salt, 16) == 16 or die "short read from /dev/urandom\n";
        my $iterations = 4096;
        my $u = hmac_sha256($salt . pack("N", 1), $password);
        my $salted = $u;
        for (2 .. $iterations) { $u = hmac_sha256($u, $password); $salted ^= $u; }
        my $client_key = hmac_sha256("Client Key", $salted);
        my $server_key = hmac_sha256("Server Key", $salted);
        printf "SCRAM-SHA-256\$%d:%s\$%s:%s", $iterations, encode_base64($salt, ""),
            encode_base64(sha256($client_key), ""), encode_base64($server_key, "");
    '
}

FACELESS_OWNER_VERIFIER="$(read_secret POSTGRES_OWNER_PASSWORD | scram_verifier)"
FACELESS_APP_VERIFIER="$(read_secret POSTGRES_APP_PASSWORD | scram_verifier)"
export FACELESS_OWNER_VERIFIER FACELESS_APP_VERIFIER

# psql variables are quoted by psql itself (:'literal', :"identifier").
psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet \
    --username "$superuser" --dbname "$database" \
    --set=owner_role="$owner_role" --set=app_role="$app_role" --set=database="$database" \
    <<'SQL'
\getenv owner_verifier FACELESS_OWNER_VERIFIER
\getenv app_verifier FACELESS_APP_VERIFIER

CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS pgaudit;

SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'faceless_runtime') AS missing \gset
\if :missing
CREATE ROLE faceless_runtime NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
\endif
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pgaudit_admin') AS missing \gset
\if :missing
CREATE ROLE pgaudit_admin NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
\endif

SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner_role') AS missing \gset
\if :missing
CREATE ROLE :"owner_role" LOGIN;
\endif
ALTER ROLE :"owner_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_verifier';
ALTER DATABASE :"database" OWNER TO :"owner_role";

SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') AS missing \gset
\if :missing
CREATE ROLE :"app_role" LOGIN;
\endif
ALTER ROLE :"app_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    INHERIT PASSWORD :'app_verifier';
GRANT faceless_runtime TO :"app_role";

-- Only the owner creates objects (PostgreSQL 15's default for public, stated); only the
-- app's roles connect; nobody else gets temporary tables.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"owner_role", faceless_runtime;

-- Superuser-only parameters, so the database owner cannot turn its own audit off.
ALTER DATABASE :"database" SET pgaudit.role = 'pgaudit_admin';
ALTER DATABASE :"database" SET pgaudit.log = 'ddl, role, misc_set';
ALTER DATABASE :"database" SET pgaudit.log_parameter = off;
ALTER DATABASE :"database" SET pgaudit.log_relation = on;
ALTER DATABASE :"database" SET pgaudit.log_catalog = off;
ALTER DATABASE :"database" SET pgaudit.log_rows = off;
SQL
echo "pg_audit_init.sh: $database is ready for migrations as $owner_role; the app connects as $app_role"
