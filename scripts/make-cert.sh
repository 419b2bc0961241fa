#!/bin/sh
# Make a TLS certificate and key for trying chat-server's TLS port (needs openssl 1.1.1 or later).
#
#   scripts/make-cert.sh DIR [NAME ...]        self-signed: DIR/cert.pem, DIR/key.pem
#   scripts/make-cert.sh --ca DIR [NAME ...]   private CA (DIR/ca.pem, DIR/ca-key.pem) and a
#                                              certificate signed by it (DIR/cert.pem, DIR/key.pem)
#
# NAMEs are the host names and IP addresses clients will connect to (default: localhost 127.0.0.1
# ::1); the first is also the certificate's CN. Clients verify against cert.pem (self-signed) or
# ca.pem (private CA): chat-client --tls --ca DIR/cert.pem localhost:5006.
# DAYS (environment) sets the validity, default 365. Keys are written readable by the owner only.
set -eu

# Run openssl without its progress noise, but show everything it said if it fails.
quiet() {
  out=$("$@" 2>&1) || { echo "$out" >&2; echo "$0: $1 failed" >&2; exit 1; }
}

usage() {
  echo "usage: $0 [--ca] DIR [NAME ...]" >&2
  exit 2
}

ca=no
if [ "${1:-}" = "--ca" ]; then
  ca=yes
  shift
fi
[ $# -ge 1 ] || usage
case "$1" in -*) usage ;; esac
dir=$1
shift
[ $# -ge 1 ] || set -- localhost 127.0.0.1 ::1
days=${DAYS:-365}
command -v openssl >/dev/null 2>&1 || { echo "$0: openssl not found" >&2; exit 1; }

san=""
for name in "$@"; do
  case "$name" in
    *:*) kind=IP ;;        # IPv6
    *[!0-9.]*) kind=DNS ;; # anything but digits and dots is a host name
    *) kind=IP ;;          # IPv4
  esac
  san="${san:+$san,}$kind:$name"
done
cn=$1

mkdir -p "$dir"
umask 077

if [ "$ca" = no ]; then
  quiet openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" \
    -subj "/CN=$cn" -addext "subjectAltName=$san"
  chmod 644 "$dir/cert.pem"
  echo "$dir/cert.pem (self-signed, for $*; give it to clients with --ca)"
  echo "$dir/key.pem (private key: keep it on the server)"
  exit 0
fi

quiet openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
  -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" -subj "/CN=framechat private CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
quiet openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$dir/key.pem" -out "$dir/cert.csr" -subj "/CN=$cn"
ext="$dir/cert.ext"
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" >"$ext"
quiet openssl x509 -req -in "$dir/cert.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial \
  -days "$days" -sha256 -extfile "$ext" -out "$dir/cert.pem"
rm -f "$dir/cert.csr" "$ext" "$dir/ca.srl"
chmod 644 "$dir/cert.pem" "$dir/ca.pem"
echo "$dir/ca.pem (private CA: give it to clients with --ca)"
echo "$dir/ca-key.pem (CA key: keep it offline; it can sign more certificates)"
echo "$dir/cert.pem, $dir/key.pem (server certificate for $*, signed by the CA)"
