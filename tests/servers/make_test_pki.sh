#!/usr/bin/env bash
# Makes a throw-away PKI for TLS tests with the openssl CLI, at test time.
#
#   make_test_pki.sh OUT_DIR [NAME...]
#
# NAME: the DNS names and IP addresses the good certificate is valid for
# (default: api.test). The first NAME is "the" host of the bad certificates.
# Every key is EC P-256 except rsa1024.key and good_rsa.key. In OUT_DIR (created if needed):
#
#   ca.pem ca.key                 the test root CA: point SSL_CERT_FILE / the CA bundle here
#   good.pem good.key             signed by the CA, subjectAltName = every NAME
#   self_signed.pem .key          self-signed, SAN = every NAME
#   unknown_ca.pem .key           signed by another CA (other_ca.pem), SAN = every NAME
#   wrong_host.pem .key           signed by the CA, SAN = wrong.test, 192.0.2.1
#   expired.pem .key              valid 2000-2001
#   not_yet_valid.pem .key        valid 2090-2091
#   cn_only.pem .key              CN = first NAME, no subjectAltName at all
#   non_ca_chain.pem .key         leaf + intermediate whose basicConstraints say CA:FALSE
#   rsa1024.pem .key              a 1024-bit RSA key, signed by the CA
#   good_rsa.pem .key             as good, with a 2048-bit RSA key (for RSA key-exchange suites)
#   permissive_openssl.cnf        an OPENSSL_CONF allowing TLS 1.0 and security level 0
#
# The *.pem server files hold the chain to serve (leaf first).
set -euo pipefail

out=${1:?usage: make_test_pki.sh OUT_DIR [NAME...]}
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(api.test)
mkdir -p "$out"
cd "$out"

san=""
for name in "${names[@]}"; do
  if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then
    san+="${san:+,}IP:$name"
  else
    san+="${san:+,}DNS:$name"
  fi
done
first=${names[0]}

mkdir -p ca_db/new
: >ca_db/index.txt
echo 1000 >ca_db/serial
cat >pki.cnf <<EOF
[ca]
default_ca = test_ca
[test_ca]
dir = ca_db
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = \${ENV::SAN}
subjectKeyIdentifier = hash
[cn_only_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
[non_ca_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyCertSign
subjectKeyIdentifier = hash
EOF
export SAN=$san

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# root CA and another, unrelated CA
make_ca() {  # name cn
  ec_key "$1.key"
  openssl req -config pki.cnf -x509 -new -key "$1.key" -subj "/CN=$2" -days 3650 -sha256 \
    -extensions ca_ext -out "$1.pem" 2>/dev/null
}
make_ca ca "fivenines test root"
make_ca other_ca "some other root"

# sign NAME CA SUBJECT_CN EXTENSIONS [dates...]: NAME.key -> NAME.pem
sign() {
  local name=$1 ca=$2 cn=$3 ext=$4
  shift 4
  openssl req -config pki.cnf -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr" 2>/dev/null
  openssl ca -config pki.cnf -batch -notext -cert "$ca.pem" -keyfile "$ca.key" -in "$name.csr" \
    -out "$name.pem" -extensions "$ext" "$@" 2>/dev/null
  rm -f "$name.csr"
}

ec_key good.key && sign good ca "$first" leaf_ext -days 30
ec_key unknown_ca.key && sign unknown_ca other_ca "$first" leaf_ext -days 30
ec_key expired.key && sign expired ca "$first" leaf_ext -startdate 20000101000000Z -enddate 20010101000000Z
ec_key not_yet_valid.key && sign not_yet_valid ca "$first" leaf_ext -startdate 20900101000000Z -enddate 20910101000000Z
ec_key cn_only.key && sign cn_only ca "$first" cn_only_ext -days 30
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key 2>/dev/null
sign rsa1024 ca "$first" leaf_ext -days 30
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out good_rsa.key 2>/dev/null
sign good_rsa ca "$first" leaf_ext -days 30

SAN="DNS:wrong.test,IP:192.0.2.1"
ec_key wrong_host.key && sign wrong_host ca wrong.test leaf_ext -days 30
SAN=$san

ec_key self_signed.key
openssl req -config pki.cnf -x509 -new -key self_signed.key -subj "/CN=$first" -days 30 -sha256 \
  -extensions leaf_ext -out self_signed.pem 2>/dev/null

# An intermediate that is not a CA, and a leaf it signed; serve both.
ec_key not_a_ca.key && sign not_a_ca ca "not a ca" non_ca_ext -days 30
ec_key non_ca_leaf.key && sign non_ca_leaf not_a_ca "$first" leaf_ext -days 30
cat non_ca_leaf.pem not_a_ca.pem >non_ca_chain.pem
cp non_ca_leaf.key non_ca_chain.key

cat >permissive_openssl.cnf <<'EOF'
# What a weakened system configuration could say; the agent must not follow it.
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_section
[ssl_section]
system_default = system_default_section
[system_default_section]
MinProtocol = TLSv1
CipherString = DEFAULT@SECLEVEL=0
EOF

for file in ca good good_rsa self_signed unknown_ca wrong_host expired not_yet_valid cn_only non_ca_chain rsa1024; do
  [ -s "$file.pem" ] || { echo "make_test_pki: $file.pem was not made" >&2; exit 1; }
done
