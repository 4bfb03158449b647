#!/bin/sh
# Creates docker/secrets/ with one random secret per file (never overwriting one that exists) and
# an empty docker/certs/ for the site's certificate. The files are Docker secrets: mounted under
# /run/secrets in the containers and read through medrec's *_FILE settings.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets certs
make() { [ -s "secrets/$1" ] || { $2 > "secrets/$1"; echo "created docker/secrets/$1"; }; }
random32() { openssl rand -base64 32; }
password() { openssl rand -base64 24 | tr -d '/+=' ; }
make medrec_master_key random32      # losing it loses every record: back it up apart from the data
make medrec_token_secret random32
make medrec_admin_password password  # the first administrator's; change it after the first sign-in
make minio_root_password password
make minio_secret_key password
# The containers run as uid 1000 (node) and read each file through its own bind mount: the files
# are readable, the directory holding them is the owner's only.
chmod 0444 secrets/* 2>/dev/null || true
chmod 0700 secrets  # host users other than the owner cannot reach them
echo "Put the site's certificate in docker/certs/cert.pem (full chain) and docker/certs/key.pem."
