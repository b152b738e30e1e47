#!/bin/sh
# Download the Debian packages the build needs, with their dependencies (less the base
# system's libraries), into .deps/ (ignored by git), so that a device machine without a
# package registry can unpack them: run the device check with carry [".deps"]
# (scripts/device-check.sh falls back on them when scripts/install-deps.sh cannot install).
# About 21 MB on Debian 12.
set -eu
cd "$(dirname "$0")/.."
mkdir -p .deps
base='^(libc6|libgcc-s1|libstdc\+\+6|gcc-12-base|debconf|dpkg|perl-base|tar|libc-dev-bin|libc6-dev|linux-libc-dev|libcrypt|zlib1g|libzstd|liblzma|libbz2|libselinux|libpcre|libssl3|libgnutls|libp11|libtasn1|libhogweed|libnettle|libgmp|libidn2|libunistring|libffi|libkrb5|libk5crypto|libkeyutils|libcom-err|libgssapi-krb5|libsasl|libldap|libdb5|libaudit|libcap-ng|install-info|sensible-utils|libmd0|libsystemd)'
pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances --no-pre-depends libfftw3-dev libgsl-dev libhdf5-dev \
  libcmocka-dev libpng-dev nettle-dev pkgconf | grep '^[a-z0-9]' | sort -u | grep -v -E "$base")
# shellcheck disable=SC2086
(cd .deps && apt-get download $pkgs)
echo "$(ls .deps/*.deb | wc -l) packages, $(du -sh .deps | cut -f1) in .deps/"
