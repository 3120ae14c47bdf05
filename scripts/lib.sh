# Shared settings for rv6's scripts (sourced, not run).
# shellcheck shell=bash
: "${top:?}"
BUILD=${RV6_BUILD:-$top/build}
CACHE=${RV6_CACHE:-$BUILD/cache}
if [ "${DEBUG:-0}" = 1 ]; then VARIANT=-debug; else VARIANT=; fi
KOBJ=$BUILD/kobj$VARIANT        # kernel object tree
MODOUT=$BUILD/modules$VARIANT   # rv6's out-of-tree modules
JOBS=${JOBS:-$(( $(nproc) + 1 ))}
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}
export PATH=$HOME/.cargo/bin:$PATH

say() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*"; }
die() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }
kmake() { make -C "$BUILD/linux" O="$KOBJ" ARCH=x86_64 LLVM=-19 "$@"; }
