# Shared settings for rv6's scripts (sourced, not run).
# shellcheck shell=bash
#
# Two places hold build products:
#  - the kernel cache, $RV6_KCACHE (default ~/.cache/rv6): the downloaded source
#    package, the unpacked and patched tree, and the kernel object trees.  It
#    lives outside the checkout so that a fresh clone on the same machine (CI)
#    reuses a kernel build whose key still matches, instead of spending 15
#    minutes on an identical one; every key is checked, so a stale tree is
#    never used.
#  - the checkout's build/: rv6's modules, logs and test results.
: "${top:?}"
BUILD=${RV6_BUILD:-$top/build}
KCACHE=${RV6_KCACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rv6}
CACHE=$KCACHE/dl               # downloaded packages
SRC=$KCACHE/linux              # kernel source tree (pristine + patches + overlay)
if [ "${DEBUG:-0}" = 1 ]; then VARIANT=-debug; else VARIANT=; fi
# The LLVM of the kernel build: clang's major version must be rustc's (22 for
# rustc 1.95), so that CONFIG_RUST_INLINE_HELPERS can link the C helpers'
# bitcode into the Rust objects (kernel/config/30-rust-kunit.config).  The
# object trees are per LLVM: a toolchain change never reuses the other's objects.
LLVM_MAJOR=22
KOBJ=$KCACHE/kobj-llvm$LLVM_MAJOR$VARIANT  # kernel object tree (O=)
MODOUT=$BUILD/modules$VARIANT  # rv6's out-of-tree modules
# Test results; per variant, so that a normal and a debug run can overlap
# (make check puts its debug smoke beside the normal results).
CHECKOUT=${RV6_CHECKOUT:-$BUILD/check$VARIANT}
TOOLS=$top/tools/target/release
JOBS=${JOBS:-$(( $(nproc) + 1 ))}
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-$LLVM_MAJOR/lib}
export PATH=$HOME/.cargo/bin:$PATH

say() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*"; }
die() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }
# CLIPPY=1: every Rust crate of the kernel, rv6's additions to the kernel crate
# included, is compiled by clippy-driver with the kernel's lint set (the top
# Makefile's), so clippy's findings are build warnings, and rv6's fail the build.
kmake() { make -C "$SRC" O="$KOBJ" ARCH=x86_64 LLVM=-$LLVM_MAJOR CLIPPY=1 "$@"; }
krelease() { cat "$KOBJ/include/config/kernel.release"; }
# tools_target: make tools/target a link to the shared cargo target directory
# in the kernel cache (scripts/tools.sh says why); a real directory left by an
# older checkout is kept as it is.
tools_target() {
  [ -e "$top/tools/target" ] || [ -L "$top/tools/target" ] && return 0
  mkdir -p "$KCACHE/tools-target"
  ln -s "$KCACHE/tools-target" "$top/tools/target"
}
