#!/bin/sh
# Install the Debian packages the build needs, only those that are missing.
set -e
PKGS="build-essential pkg-config libfftw3-dev libfftw3-mpi-dev libopenmpi-dev openmpi-bin libgsl-dev libhdf5-dev libcmocka-dev libchealpix-dev libcfitsio-dev libpng-dev nettle-dev clang libomp-dev python3-numpy python3-h5py python3-matplotlib python3-setuptools python3-wheel python3-pip"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
