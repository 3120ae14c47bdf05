#!/bin/bash
# The kernel's own IPsec selftest (tools/testing/selftests/net/ipsec.c, built
# by scripts/test-guest.sh against this kernel's headers) run against rv6:
# every one of its cases that uses xcbc(aes) must pass.  Its other cases test
# algorithms rv6 does not provide; they are shown but not judged here.
# Slow: ipsec.c always runs its whole matrix (about 100 cases) and under TCG
# that takes longer than 5 minutes, so it runs only with RV6_SLOW=1.
. "$(dirname "$0")/../lib.sh"
bin=${RV6_OUT:?}/bin/ipsec
ktap_print_header
[ -x "$bin" ] || { ktap_skip_all "ipsec selftest binary not built"; exit 4; }
ensure_module rv6_xcbc || ktap_exit_fail_msg "cannot load rv6_xcbc"
out=$(timeout 1500 "$bin" 2>&1)
xcbc=$(echo "$out" | grep -E "^(not )?ok [0-9]+ .*'xcbc\(aes\)'")
echo "$out" | grep -E "^# (Totals|Planned)" | sed 's/^/# ipsec: /'
n=$(echo "$xcbc" | grep -c .)
ktap_set_plan "$n"
while IFS= read -r line; do
  desc=${line#* * }
  case "$line" in ok*) ktap_test_pass "ipsec.c: $desc" ;; *) ktap_test_fail "ipsec.c: $desc" ;; esac
done <<<"$xcbc"
[ "$n" -gt 0 ] || ktap_exit_fail_msg "ipsec.c ran no xcbc(aes) case"
ktap_print_msg "xcbc(aes) provider during the run: $(grep -A2 '^name *: xcbc(aes)' /proc/crypto | awk '/module/ {print $3; exit}')"
ktap_finished
