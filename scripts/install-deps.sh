#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build and test fivenines-agent.
# Idempotent: packages already present are left alone. Nothing is downloaded
# from anywhere but Debian's archive.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config           # build
  clang libclang-rt-14-dev                    # libFuzzer targets, sanitizer runtime
  nlohmann-json3-dev                          # config parsing, tests
  libcurl4-openssl-dev libssl-dev openssl     # HTTPS transport (libcurl + OpenSSL); openssl makes test certificates
  libc-ares-dev zlib1g-dev libsystemd-dev     # DNS, gzip, sd_notify
  python3                                     # test servers (API, proxy) started on loopback by the tests
  iproute2 dnsmasq-base                       # DNS tests: a network namespace (ip netns) with dnsmasq as its resolver
  libgtest-dev libgmock-dev                   # tests
  procps                                      # ps/pgrep used by the benchmark
  libpq-dev postgresql                        # postgresql client (libpq); a real server on loopback for its tests
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
