#!/usr/bin/env bash
# Build the rv6 kernel: pristine Debian source + rv6's rust/ overlay +
# kernel/patches, configured from kernel/config fragments, built with LLVM.
#
# Cache layout (under $RV6_KCACHE, see scripts/lib.sh):
#   linux/        source tree: pristine tarball + patches + overlay.  Keyed on
#                 the source package and the patches (.src-key); re-extracted
#                 beside it when those change and copied over it by content, so
#                 kbuild rebuilds only what the changed patches changed.
#   kobj-llvmN[-debug]/ object tree (O=), per LLVM major version N.  Its .config is regenerated when the
#                 fragments change (.config-key).
#   kobj*/.rv6-stamp  key of everything the image depends on; when it matches,
#                 `make kernel` returns at once without running kbuild.
# The overlay is copied with rsync --checksum, so only files whose content
# changed get a new mtime and kbuild rebuilds only what depends on them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/kernel/source.env"
. "$top/scripts/lib.sh"

src=$SRC
deb=$(ls "$CACHE"/${KERNEL_PKG}_*.deb 2>/dev/null | sort -V | tail -n1) ||
  die "kernel source package missing: run 'make deps'"
[ -n "$deb" ] || die "kernel source package missing: run 'make deps'"

hash_files() { if [ $# -gt 0 ]; then cat "$@"; fi | sha256sum | cut -c1-16; }
patches=$(ls "$top"/kernel/patches/*.patch 2>/dev/null || true)

# 1. source tree -------------------------------------------------------------
src_key=$( { basename "$deb"; hash_files $patches; } | sha256sum | cut -c1-16)
if [ "$(cat "$src/.src-key" 2>/dev/null)" != "$src_key" ]; then
  say "unpacking $(basename "$deb") and applying kernel/patches"
  new=$KCACHE/linux.new
  rm -rf "$new" "$KCACHE/linux.tmp"; mkdir -p "$KCACHE/linux.tmp" "$new"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$KCACHE/linux.tmp" --wildcards './usr/src/*.tar.*'
  tarball=$(ls "$KCACHE"/linux.tmp/usr/src/${KERNEL_PKG}.tar.*)
  tar -x -f "$tarball" -C "$new" --strip-components=1
  rm -rf "$KCACHE/linux.tmp"
  for p in $patches; do
    say "applying $(basename "$p")"
    patch -d "$new" -p1 -s --no-backup-if-mismatch <"$p"
  done
  rsync -r "$top/rust/" "$new/rust/"
  if [ -d "$src" ]; then
    # Into the old tree, by content: a file whose content is unchanged keeps its old
    # mtime, so kbuild rebuilds only what a changed patch changed (editing one patch no
    # longer rebuilds everything every other patch touches: 0005/0006 touch headers that
    # ~370 objects include).
    say "updating $src (only files whose content changed)"
    rsync -rlpc --delete "$new/" "$src/"
    rm -rf "$new"
  else
    mv "$new" "$src"
  fi
  echo "$src_key" >"$src/.src-key"
fi

# 2. overlay rv6's additions to the kernel crate --------------------------------
rsync -r --checksum "$top/rust/" "$src/rust/"

# 3. configuration -------------------------------------------------------------
frags=$(ls "$top"/kernel/config/*.config)
[ "${DEBUG:-0}" = 1 ] && frags="$frags $(ls "$top"/kernel/config/debug/*.config)"
cfg_key=$( { basename "$deb"; clang-$LLVM_MAJOR --version | head -1; hash_files $frags; } | sha256sum | cut -c1-16)
mkdir -p "$KOBJ"
if [ "$(cat "$KOBJ/.config-key" 2>/dev/null)" != "$cfg_key" ] || [ ! -f "$KOBJ/.config" ]; then
  say "configuring $KOBJ (tinyconfig + $(echo $frags | wc -w) fragments)"
  kmake tinyconfig >/dev/null
  (cd "$src" && KCONFIG_CONFIG="$KOBJ/.config" scripts/kconfig/merge_config.sh -m -O "$KOBJ" \
      "$KOBJ/.config" $frags >/dev/null)
  kmake olddefconfig >/dev/null
  # Every option a fragment asks for must have survived Kconfig's dependency
  # resolution; otherwise say which one, now rather than at boot.
  bad=0
  for f in $frags; do
    while IFS= read -r line; do
      case "$line" in ''|'#'*) continue ;; esac
      opt=${line%%=*}; want=${line#*=}
      got=$(grep -E "^$opt=" "$KOBJ/.config" | cut -d= -f2- || true)
      [ -z "$got" ] && grep -q "^# $opt is not set" "$KOBJ/.config" && got=n
      [ -z "$got" ] && got=n
      if [ "$got" != "$want" ]; then
        echo "kernel: $(basename "$f"): $opt=$want requested, Kconfig gave $got" >&2; bad=1
      fi
    done <"$f"
  done
  [ $bad = 0 ] || die "config fragments do not apply cleanly (see above)"
  echo "$cfg_key" >"$KOBJ/.config-key"
fi

# 4. build ------------------------------------------------------------------------
stamp=$( { echo "$src_key $cfg_key"; find "$top/rust" -type f -print0 | sort -z | xargs -0 cat; } |
         sha256sum | cut -c1-16)
if [ "$(cat "$KOBJ/.rv6-stamp" 2>/dev/null)" = "$stamp" ] && [ -f "$KOBJ/arch/x86/boot/bzImage" ]; then
  say "kernel up to date ($KOBJ/arch/x86/boot/bzImage)"
  exit 0
fi
say "building kernel in $KOBJ (LLVM=-$LLVM_MAJOR, -j$JOBS)"
kmake -j"$JOBS" bzImage modules >"$KOBJ/build.log" 2>&1 || {
  grep -E -B2 -A8 'error(\[E[0-9]+\])?:|Error [0-9]' "$KOBJ/build.log" | head -80 >&2
  die "kernel build failed; full log: $KOBJ/build.log"
}
# The kernel's own modules (mip6, xcbc, nf_conntrack_ftp), for modprobe in the guest.
rm -rf "$KOBJ/modroot"
kmake INSTALL_MOD_PATH="$KOBJ/modroot" modules_install >>"$KOBJ/build.log" 2>&1 ||
  die "modules_install failed; see $KOBJ/build.log"
# rv6's own kernel Rust must build without warnings (upstream's are not ours to fix).
rv6_files=$(cd "$top" && find rust -name '*.rs' | sed 's|^|/|' | paste -sd'|')
if grep -A3 '^warning' "$KOBJ/build.log" | grep -qE -- "--> .*($rv6_files):"; then
  grep -B1 -A8 '^warning' "$KOBJ/build.log" | head -40 >&2
  die "rv6's kernel Rust has warnings (above); full log: $KOBJ/build.log"
fi
echo "$stamp" >"$KOBJ/.rv6-stamp"
say "kernel ready: $(cat "$KOBJ/include/config/kernel.release") ($KOBJ/arch/x86/boot/bzImage)"
