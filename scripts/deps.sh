#!/usr/bin/env bash
# Install everything rv6 needs on a Debian 12 (bookworm) machine, idempotently.
#
#  - Debian packages from bookworm main (QEMU, guest userland) and the LLVM 22
#    toolchain from bookworm-security (clang must be rustc's LLVM, see lib.sh);
#  - the kernel source package from trixie-backports, fetched through a private
#    apt state directory so the system's own sources, pins and libc are never
#    touched (nothing from trixie is ever installed, only unpacked under build/);
#  - libreswan 4.10's pluto, downloaded and unpacked only (its package conflicts
#    with strongSwan's): xfrm_mobike.sh runs it from ~/.cache/rv6/libreswan;
#  - rustup's rust-src and bindgen-cli, the versions Linux 7.3 asks for.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/kernel/source.env"
. "$top/scripts/lib.sh"
cache=$CACHE
mkdir -p "$cache"

need_root() { [ "$(id -u)" = 0 ] || { echo "deps: must run as root to install $1" >&2; exit 1; }; }

# --- Debian packages -------------------------------------------------------
PKGS=(
  # kernel build
  build-essential flex bison bc libelf-dev libssl-dev cpio kmod xz-utils zstd rsync
  "clang-$LLVM_MAJOR" "lld-$LLVM_MAJOR" "llvm-$LLVM_MAJOR" "libclang-$LLVM_MAJOR-dev"
  # guest runner
  qemu-system-x86
  # guest userland used by tests and demos
  iproute2 nftables iputils-ping procps python3-scapy tcpdump ethtool socat
  strongswan-charon strongswan-swanctl tshark
  # conntrack helpers (issue 5): real servers, clients, relay and conntrack-tools
  conntrack iptables dnsmasq-base isc-dhcp-client isc-dhcp-relay vsftpd lftp curl
  # generic netlink families: the kernel's YNL (tools/net/ynl) drives them and
  # validates their specs
  python3-yaml python3-jsonschema jq
  # libreswan's pluto, unpacked below: its runtime libraries that neither the
  # above nor a base system bring, and certutil for its NSS databases
  libldns3 libunbound8 libcurl3-nss libevent-core-2.1-7 libevent-pthreads-2.1-7 libnss3-tools
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  need_root "${missing[*]}"
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages: all ${#PKGS[@]} present"
fi

# --- kernel source (trixie-backports, downloaded only) ---------------------
if ! ls "$cache"/${KERNEL_PKG}_*.deb >/dev/null 2>&1; then
  say "downloading $KERNEL_PKG from $KERNEL_SUITE (private apt state, system untouched)"
  apt_dir="$cache/apt"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
  cat >"$apt_dir/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $KERNEL_MIRROR $KERNEL_SUITE main
SRC
  apt_opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=-
            -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir"
            -o APT::Architecture=amd64 -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" update -qq
  (cd "$cache" && apt-get "${apt_opts[@]}" download "$KERNEL_PKG" >/dev/null)
fi
deb=$(ls "$cache"/${KERNEL_PKG}_*.deb | sort -V | tail -n1)
say "kernel source: $(basename "$deb")"

# --- libreswan (bookworm main, downloaded and unpacked only) -----------------
# The libreswan package conflicts with strongswan-starter and -libcharon, which
# the IKE suites need, so it is never installed: pluto, whack and addconn run
# from the unpacked tree (xfrm_mobike.sh finds it beside the kernel source).
LIBRESWAN=$KCACHE/libreswan
if ! ls "$cache"/libreswan_*.deb >/dev/null 2>&1; then
  say "downloading libreswan (unpacked only: it conflicts with strongSwan)"
  dl() { (cd "$cache" && apt-get -o APT::Sandbox::User=root download -qq libreswan); }
  dl 2>/dev/null || { need_root "the apt lists"; apt-get update -qq; dl; }
fi
deb=$(ls "$cache"/libreswan_*.deb | sort -V | tail -n1)
if [ "$(cat "$LIBRESWAN/.unpacked" 2>/dev/null)" != "$(basename "$deb")" ]; then
  say "unpacking $(basename "$deb") into $LIBRESWAN"
  rm -rf "$LIBRESWAN" "$LIBRESWAN.tmp"
  dpkg -x "$deb" "$LIBRESWAN.tmp"
  basename "$deb" >"$LIBRESWAN.tmp/.unpacked"
  mv "$LIBRESWAN.tmp" "$LIBRESWAN"
fi
say "libreswan: $(cat "$LIBRESWAN/.unpacked")"

# --- Rust toolchain pieces ---------------------------------------------------
# rust-src for the kernel's `core`; clippy and rustfmt: the kernel builds with
# CLIPPY=1, make test-host runs both on tools/.
for c in rust-src clippy rustfmt; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
    say "rustup component add $c"
    rustup component add "$c" >/dev/null
  fi
done
BINDGEN_VERSION=0.73.2
if ! bindgen --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
  say "cargo install bindgen-cli $BINDGEN_VERSION (about 3 minutes)"
  cargo install -q bindgen-cli --version "$BINDGEN_VERSION" --locked
fi

# The guest mounts the kernel's own modules over /lib/modules, which needs the
# directory to exist on the (read-only) host root it boots from.
[ -d /lib/modules ] || { need_root /lib/modules; mkdir -p /lib/modules; }

# cargo-fuzz, for the fuzz layer of make check (run with RUSTC_BOOTSTRAP=1).
CARGO_FUZZ_VERSION=0.13.1
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  say "cargo install cargo-fuzz $CARGO_FUZZ_VERSION (about 1 minute)"
  cargo install -q cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# --- sanity: one clear line per missing or too-old tool --------------------
fail=0
check() { # tool package min-version-regex-or-empty
  if ! command -v "$1" >/dev/null 2>&1; then echo "deps: '$1' not found (package $2)" >&2; fail=1; fi
}
check "clang-$LLVM_MAJOR" "clang-$LLVM_MAJOR"; check "ld.lld-$LLVM_MAJOR" "lld-$LLVM_MAJOR"
check "llvm-ar-$LLVM_MAJOR" "llvm-$LLVM_MAJOR"
check flex flex; check bison bison; check bc bc; check qemu-system-x86_64 qemu-system-x86
check bindgen "cargo install bindgen-cli --version $BINDGEN_VERSION"
for b in pluto whack addconn; do
  lacks=$(ldd "$LIBRESWAN/usr/libexec/ipsec/$b" | awk '/not found/ {print $1}' | paste -sd' ')
  [ -z "$lacks" ] || { echo "deps: libreswan's $b lacks $lacks (add their packages to PKGS)" >&2; fail=1; }
done
rv=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n1.85.0\n' "$rv" | sort -V | head -n1)" != 1.85.0 ]; then
  echo "deps: rustc $rv is too old: Linux 7.3 needs >= 1.85 (rustup update)" >&2; fail=1
fi
rllvm=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
if [ "$rllvm" != "$LLVM_MAJOR" ]; then
  echo "deps: rustc $rv uses LLVM $rllvm, clang is LLVM $LLVM_MAJOR: CONFIG_RUST_INLINE_HELPERS needs one LLVM (set LLVM_MAJOR in scripts/lib.sh)" >&2; fail=1
fi
libc=$(dpkg-query -W -f='${Version}' libc6)
case "$libc" in *deb12*|2.36*) ;; *) echo "deps: warning: libc6 is $libc, not bookworm's" >&2 ;; esac
[ $fail = 0 ] || exit 1
say "ready (rustc $rv, $(bindgen --version), clang $("clang-$LLVM_MAJOR" --version | head -1 | grep -o '[0-9][0-9.]*' | head -1), libc6 $libc)"
